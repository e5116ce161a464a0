import { quoteIdent, quoteQualified } from "../../../db/sql.js";
import { pgrst } from "../errors.js";
import type { LevelParams, QueryParams, SelectItem } from "../parse/ast.js";
import {
  type QualifiedName,
  qualifiedKey,
  type Relation,
  type Relationship,
  type SchemaCache,
} from "../schema-cache/types.js";
import { findRelationship } from "./relationship.js";

/**
 * One level of a read: the relation it reads, what it selects, its filters, order and page, and
 * the embeds below it (reference §3 "Embedding").
 */
export interface ReadNode {
  /** The relation relationships are looked up from; null for results without one (records). */
  readonly source: QualifiedName | null;
  readonly relation: Relation | null;
  /** FROM item, e.g. `"public"."projects"` or `"public"."clients" AS "clients_1"`. */
  readonly from: string;
  /** How columns are qualified, e.g. `"public"."projects"` or `"clients_1"`. */
  readonly ref: string;
  /** Table name used to build the lateral aliases of the embeds below. */
  readonly tableName: string;
  readonly depth: number;
  readonly select: readonly SelectItem[];
  readonly embeds: readonly EmbedNode[];
  readonly params: LevelParams;
  /** `rel=is.null` / `rel=not.is.null` filters on embeds of this level. */
  readonly embedNullFilters: readonly {
    readonly embed: EmbedNode;
    readonly isNull: boolean;
    readonly negated: boolean;
  }[];
}

export interface EmbedNode {
  readonly relationship: Relationship;
  readonly node: ReadNode;
  /** Key in the JSON output (alias, else the name as written). */
  readonly name: string;
  /** Alias of the lateral subquery: `<parent table>_<name>_<depth>`. */
  readonly lateral: string;
  readonly join: "inner" | "left";
  readonly spread: boolean;
  readonly toOne: boolean;
  /** `rel()` selects nothing: joined (e.g. for !inner) but not output. */
  readonly visible: boolean;
}

export interface RootSource {
  readonly source: QualifiedName | null;
  readonly relation: Relation | null;
  readonly from: string;
  readonly ref: string;
  readonly tableName: string;
  /** The whole row of the FROM item, passed to computed relationships; `ref` when not given. */
  readonly row?: string;
}

/** The root of a read on a table or view. */
export function tableSource(relation: Relation): RootSource {
  const qualified = quoteQualified(relation.schema, relation.name);
  return {
    source: relation,
    relation,
    from: qualified,
    ref: qualified,
    tableName: relation.name,
    row: quoteIdent(relation.name),
  };
}

/**
 * Resolves the parsed query against the schema cache: relationships for every embed, the query
 * parameters addressed to each level. A parameter for an embed that is not selected is PGRST108;
 * aggregates without `db-aggregates-enabled` are PGRST123.
 */
export function buildReadPlan(cache: SchemaCache, root: RootSource, query: QueryParams): ReadNode {
  const used = new Set<string>();
  const node = buildNode(cache, root, query.select, query, "", 0, used);
  for (const path of query.levels.keys()) {
    if (path !== "" && !used.has(path)) {
      const missing =
        path.split(".").find((_, i, parts) => !used.has(parts.slice(0, i + 1).join("."))) ?? path;
      throw pgrst(
        "PGRST108",
        `'${missing}' is not an embedded resource in this request`,
        null,
        `Verify that '${missing}' is included in the 'select' query parameter.`,
      );
    }
  }
  return node;
}

const EMPTY_LEVEL: LevelParams = { filters: [], logic: [], order: null, limit: null, offset: null };

function buildNode(
  cache: SchemaCache,
  root: RootSource,
  select: readonly SelectItem[],
  query: QueryParams,
  path: string,
  depth: number,
  used: Set<string>,
): ReadNode {
  used.add(path);
  const level = query.levels.get(path) ?? EMPTY_LEVEL;
  if (!cache.dbConfig.aggregatesEnabled && select.some(isAggregate)) {
    throw pgrst("PGRST123", "Use of aggregate functions is not allowed");
  }
  const embeds: EmbedNode[] = [];
  for (const item of select) {
    if (item.kind !== "embed") continue;
    if (!root.source)
      throw pgrst(
        "PGRST200",
        `Could not find a relationship between the result and '${item.relation}' in the schema cache`,
      );
    const relationship = findRelationship(cache, root.source, item.relation, item.hint);
    const target =
      cache.relations.get(qualifiedKey(relationship.target.schema, relationship.target.name)) ?? null;
    const name = item.alias ?? item.relation;
    const childDepth = depth + 1;
    const alias = `${relationship.target.name}_${childDepth}`;
    const fn = relationship.function;
    // A computed relationship reads the function's rows for the parent's row, cast to the
    // argument's type (the name may be overloaded for other tables), as PostgREST does.
    const table = fn
      ? `${quoteQualified(fn.schema, fn.name)}(${root.row ?? root.ref}::${quoteQualified(root.source.schema, root.source.name)})`
      : quoteQualified(relationship.target.schema, relationship.target.name);
    const child: RootSource = {
      source: relationship.target,
      relation: target,
      from: `${table} AS ${quoteIdent(alias)}`,
      ref: quoteIdent(alias),
      tableName: relationship.target.name,
    };
    const childPath = path === "" ? name : `${path}.${name}`;
    embeds.push({
      relationship,
      node: buildNode(cache, child, item.select, query, childPath, childDepth, used),
      name,
      lateral: `${root.tableName}_${name}_${childDepth}`,
      join: item.join ?? "left",
      spread: item.spread,
      toOne: relationship.cardinality === "many-to-one" || relationship.cardinality === "one-to-one",
      visible: item.select.length > 0,
    });
  }
  const embedNullFilters: ReadNode["embedNullFilters"][number][] = [];
  const filters = level.filters.filter((filter) => {
    const embed =
      filter.field.json.length === 0 ? embeds.find((e) => e.name === filter.field.name) : undefined;
    if (!embed) return true;
    const op = filter.expr.operation;
    if (op.kind !== "is" || (op.value !== "null" && op.value !== "not_null")) {
      throw pgrst(
        "PGRST120",
        `Bad operator on the '${embed.name}' embedded resource`,
        "Only is null or not is null filters are allowed on embedded resources",
      );
    }
    embedNullFilters.push({ embed, isNull: op.value === "null", negated: filter.expr.negated });
    return false;
  });
  for (const term of level.order ?? []) {
    if (term.relation === null) continue;
    const embed = embeds.find((e) => e.name === term.relation);
    if (!embed) {
      throw pgrst(
        "PGRST108",
        `'${term.relation}' is not an embedded resource in this request`,
        null,
        `Verify that '${term.relation}' is included in the 'select' query parameter.`,
      );
    }
    if (!embed.toOne) {
      throw pgrst(
        "PGRST118",
        `A related order on '${embed.name}' is not possible`,
        `'${root.tableName}' and '${embed.name}' do not form a many-to-one or one-to-one relationship`,
      );
    }
  }
  return {
    ...root,
    depth,
    select,
    embeds,
    params: { ...level, filters },
    embedNullFilters,
  };
}

function isAggregate(item: SelectItem): boolean {
  return item.kind === "count" || (item.kind === "field" && item.aggregate !== null);
}
