import { quoteIdent } from "../../../db/sql.js";
import type { OrderTerm, SelectItem } from "../parse/ast.js";
import type { EmbedNode, ReadNode } from "../plan/read-plan.js";
import { castSql, fieldAlias, fieldSql } from "./expression.js";
import { type ColumnTypes, filterSql, logicSql } from "./filter.js";
import type { Params } from "./params.js";

export interface RenderOptions {
  readonly typeNames: ReadonlySet<string>;
  /** Expand `*` to the relation's columns (write results read from `pgrst_source`). */
  readonly expandStar?: boolean;
  /** Top-level page cap (`db-max-rows`), applied on top of `limit`. */
  readonly maxRows?: number | null;
}

/**
 * The SELECT of one read level: columns, embeds as lateral joins, WHERE (filters, logic trees,
 * embed null filters, `extraWhere` e.g. an embed's join condition), GROUP BY for aggregates,
 * ORDER BY, LIMIT/OFFSET as parameters.
 */
export function selectSql(
  node: ReadNode,
  params: Params,
  options: RenderOptions,
  extraWhere: string[] = [],
): string {
  const columns: string[] = [];
  const groupable: number[] = [];
  let aggregated = false;
  for (const item of node.select) {
    const column = itemSql(node, item, params, options);
    if (column === null) continue;
    columns.push(column.sql);
    if (column.aggregate) aggregated = true;
    else groupable.push(columns.length);
  }
  const joins: string[] = [];
  for (const embed of node.embeds) {
    joins.push(lateralSql(node, embed, params, options));
    if (!embed.visible) continue;
    for (const sql of embedColumns(embed, aggregated)) {
      columns.push(sql);
      groupable.push(columns.length);
    }
  }
  const where = [...extraWhere, ...conditions(node, params)];
  let sql = `SELECT ${columns.length > 0 ? columns.join(", ") : ""} FROM ${node.from}`;
  if (joins.length > 0) sql += ` ${joins.join(" ")}`;
  if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
  if (aggregated && groupable.length > 0) sql += ` GROUP BY ${groupable.join(", ")}`;
  sql += orderSql(node, params);
  sql += pageSql(node, params, options.maxRows ?? null);
  return sql;
}

/** The FROM/WHERE of a level without columns or page, for `count=exact`. */
export function countSql(node: ReadNode, params: Params, options: RenderOptions): string {
  const joins = node.embeds
    .filter((embed) => embed.join === "inner" || node.embedNullFilters.some((f) => f.embed === embed))
    .map((embed) => lateralSql(node, embed, params, options));
  const where = conditions(node, params);
  let sql = `SELECT 1 FROM ${node.from}`;
  if (joins.length > 0) sql += ` ${joins.join(" ")}`;
  if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
  return sql;
}

function itemSql(
  node: ReadNode,
  item: SelectItem,
  params: Params,
  options: RenderOptions,
): { sql: string; aggregate: boolean } | null {
  switch (item.kind) {
    case "star":
      if (options.expandStar && node.relation) {
        const cols = node.relation.columnList.map((c) => `${node.ref}.${quoteIdent(c.name)}`);
        return cols.length > 0 ? { sql: cols.join(", "), aggregate: false } : null;
      }
      return { sql: `${node.ref}.*`, aggregate: false };
    case "count": {
      const sql = castSql("pg_catalog.count(*)", item.cast, options.typeNames);
      return { sql: `${sql} AS ${quoteIdent(item.alias ?? "count")}`, aggregate: true };
    }
    case "field": {
      const expr = castSql(fieldSql(node.ref, item.field, params), item.cast, options.typeNames);
      if (item.aggregate) {
        const fn = item.aggregate === "count" ? "pg_catalog.count" : item.aggregate;
        const sql = castSql(`${fn}(${expr})`, item.aggregateCast, options.typeNames);
        return { sql: `${sql} AS ${quoteIdent(item.alias ?? item.aggregate)}`, aggregate: true };
      }
      const alias = item.alias ?? fieldAlias(item.field);
      // A plain column keeps its own name without an AS, as PostgREST writes it.
      if (item.alias === null && item.cast === null && item.field.json.length === 0)
        return { sql: expr, aggregate: false };
      return { sql: `${expr} AS ${quoteIdent(alias)}`, aggregate: false };
    }
    case "embed":
      return null;
  }
}

/**
 * The column(s) an embed adds to its parent's select list. Beside aggregates, a to-one spread
 * names each of its columns, so that each is one GROUP BY position (as PostgREST groups them).
 */
function embedColumns(embed: EmbedNode, aggregated: boolean): string[] {
  const lateral = quoteIdent(embed.lateral);
  if (embed.spread && embed.toOne) {
    const own = embed.node.embeds.some((child) => child.visible && child.spread);
    if (!aggregated || own) return [`${lateral}.*`];
    return spreadNames(embed).map((name) => `${lateral}.${quoteIdent(name)}`);
  }
  if (embed.spread) {
    return spreadNames(embed).map(
      (name) => `COALESCE(${lateral}.${quoteIdent(name)}, '[]') AS ${quoteIdent(name)}`,
    );
  }
  if (embed.toOne) return [`row_to_json(${lateral}.*)::jsonb AS ${quoteIdent(embed.name)}`];
  return [`COALESCE(${lateral}.${lateral}, '[]') AS ${quoteIdent(embed.name)}`];
}

/** Output names of a to-many spread's child (each becomes an array). */
function spreadNames(embed: EmbedNode): string[] {
  const names: string[] = [];
  for (const item of embed.node.select) {
    if (item.kind === "star") names.push(...(embed.node.relation?.columnList.map((c) => c.name) ?? []));
    else if (item.kind === "count") names.push(item.alias ?? "count");
    else if (item.kind === "field")
      names.push(item.alias ?? (item.aggregate ? item.aggregate : fieldAlias(item.field)));
  }
  for (const child of embed.node.embeds) if (child.visible && !child.spread) names.push(child.name);
  return names;
}

function lateralSql(parent: ReadNode, embed: EmbedNode, params: Params, options: RenderOptions): string {
  const child = embed.node;
  const lateral = quoteIdent(embed.lateral);
  const rel = embed.relationship;
  let from = child.from;
  const join: string[] = [];
  if (rel.junction) {
    const j = rel.junction;
    const jAlias = quoteIdent(`${j.table.name}_${child.depth}`);
    from = `${from}, ${quoteIdent(j.table.schema)}.${quoteIdent(j.table.name)} AS ${jAlias}`;
    for (const [jcol, tcol] of j.targetColumns)
      join.push(`${jAlias}.${quoteIdent(jcol)} = ${child.ref}.${quoteIdent(tcol)}`);
    for (const [scol, jcol] of j.sourceColumns)
      join.push(`${jAlias}.${quoteIdent(jcol)} = ${parent.ref}.${quoteIdent(scol)}`);
  } else {
    for (const [scol, tcol] of rel.columns)
      join.push(`${child.ref}.${quoteIdent(tcol)} = ${parent.ref}.${quoteIdent(scol)}`);
  }
  // max-rows caps the top level only.
  const body = selectSql({ ...child, from }, params, { ...options, maxRows: null }, join);
  const kind = embed.join === "inner" ? "INNER JOIN LATERAL" : "LEFT JOIN LATERAL";
  if (embed.toOne) return `${kind} (${body}) AS ${lateral} ON TRUE`;
  if (embed.spread) {
    // To-many spread (v13+): each selected column becomes an array of that column's values.
    const aggs = spreadNames(embed).map(
      (name) => `json_agg(${lateral}.${quoteIdent(name)})::jsonb AS ${quoteIdent(name)}`,
    );
    aggs.push(`pg_catalog.count(*) AS "pgrst_spread_count"`);
    const on = embed.join === "inner" ? `${lateral}."pgrst_spread_count" > 0` : "TRUE";
    return `${kind} (SELECT ${aggs.join(", ")} FROM (${body}) AS ${lateral}) AS ${lateral} ON ${on}`;
  }
  const on = embed.join === "inner" ? `${lateral}.${lateral} IS NOT NULL` : "TRUE";
  return `${kind} (SELECT json_agg(${lateral})::jsonb AS ${lateral} FROM (${body}) AS ${lateral}) AS ${lateral} ON ${on}`;
}

/** The WHERE conditions of a level's own filters (writes use the root's). */
export function conditions(node: ReadNode, params: Params): string[] {
  const types: ColumnTypes = { baseType: (name) => node.relation?.columns.get(name)?.baseType };
  const where = node.params.filters.map((filter) => filterSql(node.ref, filter, params, types));
  for (const tree of node.params.logic) where.push(logicSql(node.ref, tree, params, types));
  for (const { embed, isNull, negated } of node.embedNullFilters) {
    const lateral = quoteIdent(embed.lateral);
    const target = embed.toOne ? lateral : `${lateral}.${lateral}`;
    const test = embed.toOne
      ? `${target} ${isNull ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM"} NULL`
      : `${target} ${isNull ? "IS NULL" : "IS NOT NULL"}`;
    where.push(negated ? `NOT (${test})` : test);
  }
  return where;
}

function orderSql(node: ReadNode, params: Params): string {
  const terms = node.params.order ?? [];
  if (terms.length === 0) return "";
  return ` ORDER BY ${terms.map((term) => orderTermSql(node, term, params)).join(", ")}`;
}

function orderTermSql(node: ReadNode, term: OrderTerm, params: Params): string {
  const embed = term.relation === null ? undefined : node.embeds.find((e) => e.name === term.relation);
  const ref = embed ? quoteIdent(embed.lateral) : node.ref;
  let sql = fieldSql(ref, term.field, params);
  if (term.direction) sql += term.direction === "asc" ? " ASC" : " DESC";
  if (term.nulls) sql += term.nulls === "first" ? " NULLS FIRST" : " NULLS LAST";
  return sql;
}

function pageSql(node: ReadNode, params: Params, maxRows: number | null): string {
  let limit = node.params.limit;
  if (maxRows !== null) limit = limit === null ? maxRows : Math.min(limit, maxRows);
  let sql = "";
  if (limit !== null) sql += ` LIMIT ${pageBound(limit, params)}`;
  if (node.params.offset !== null && node.params.offset > 0)
    sql += ` OFFSET ${pageBound(node.params.offset, params)}`;
  return sql;
}

/**
 * LIMIT/OFFSET values are written into the SQL as PostgREST does, not bound: they are parsed
 * integers (nothing else reaches here) and part of the plan-cache key, and a literal LIMIT lets
 * PostgreSQL cost a generic plan properly, so list statements stop being re-planned per request.
 * Integers beyond 2^53 stay bound, where PostgreSQL reports the range error.
 */
function pageBound(value: number, params: Params): string {
  return Number.isSafeInteger(value) ? String(value) : params.add(String(value));
}

/**
 * A limited PATCH/DELETE (`limit`, `offset`, `order` on the root): the rows are picked by ctid in
 * a subquery, as PostgREST does, since UPDATE and DELETE have no LIMIT. Null without a limit.
 */
export function limitedRows(node: ReadNode, params: Params): string | null {
  if (node.params.limit === null && (node.params.offset ?? 0) === 0) return null;
  const where = conditions(node, params);
  let sql = `SELECT ${node.ref}.ctid FROM ${node.from}`;
  if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
  sql += orderSql(node, params);
  sql += pageSql(node, params, null);
  return `${node.ref}.ctid = ANY(ARRAY(${sql}))`;
}
