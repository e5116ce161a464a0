import type { Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import type { QueryParams } from "../parse/ast.js";
import { parseQueryString } from "../parse/query-string.js";
import { buildReadPlan, type ReadNode, tableSource } from "../plan/read-plan.js";
import { type ValueSlots, valueSlots } from "../request-shape.js";
import type { RestRequest } from "../rest-request.js";
import type { Relation } from "../schema-cache/types.js";
import { Params } from "../sql/params.js";
import { countSql, selectSql } from "../sql/read.js";
import { mainStatement } from "../sql/statement.js";

/** A compiled read: the statement, and what the response needs to know about it. */
export interface CompiledRead {
  readonly statement: Statement;
  readonly planned: Statement | null;
  readonly offset: number;
  readonly media: Negotiated;
}

/** A compiled table read, with the parameters that take the request's filter values. */
export interface CompiledTableRead extends CompiledRead {
  readonly slots: ValueSlots;
  readonly plannedSlots: ValueSlots;
}

/**
 * GET/HEAD on a table or view (reference §3-§5): the query string (its filter values as
 * placeholders, see request-shape.ts) and the Range header, compiled into the main statement.
 */
export function compileTableRead(
  req: RestRequest,
  relation: Relation,
  shapeQuery: string,
  range: [number, number | null] | null,
): CompiledTableRead {
  const media = negotiate(req.raw.headers.accept, req.cache.dbConfig.planEnabled);
  const query = withRange(parseQueryString(shapeQuery, { rpc: false }), range);
  const plan = buildReadPlan(req.cache, tableSource(relation), query);
  const read = compileRead(req, plan, query, media, "pgrst_source AS (%s)");
  return {
    ...read,
    slots: valueSlots(read.statement.values),
    plannedSlots: valueSlots(read.planned?.values ?? []),
  };
}

/**
 * Builds the statement of a read-shaped response. `cteTemplate` wraps the level-0 SELECT
 * (`pgrst_source AS (%s)`); RPC passes its own.
 */
export function compileRead(
  req: RestRequest,
  plan: ReadNode,
  query: QueryParams,
  media: Negotiated,
  cteTemplate: string,
  params = new Params(),
): CompiledRead {
  // Values the caller bound before (RPC arguments are always $1), repeated for the planned count.
  const seed = [...params.values];
  const options = { typeNames: req.cache.typeNames, maxRows: maxRows(req) };
  const source = selectSql(plan, params, options);
  const ctes = [cteTemplate.replace("%s", () => source)];
  const counting = req.prefs.count;
  let total: string | null = null;
  if (counting === "exact" || counting === "estimated") {
    ctes.push(`pgrst_source_count AS (${countSql(plan, params, options)})`);
    total = "(SELECT pg_catalog.count(*) FROM pgrst_source_count)";
  }
  let planned: Statement | null = null;
  if (counting === "planned" || counting === "estimated") {
    const countParams = new Params();
    countParams.values.push(...seed);
    planned = { text: countSql(plan, countParams, options), values: countParams.values };
  }
  const statement: Statement = {
    text: mainStatement({ ctes, rows: "SELECT * FROM pgrst_source", body: { kind: "rows", media }, total }),
    values: params.values,
  };
  return { statement, planned, offset: query.levels.get("")?.offset ?? 0, media };
}

/** `db-max-rows`: the in-database setting wins over `[api] max_rows`. */
export function maxRows(req: RestRequest): number | null {
  return req.cache.dbConfig.maxRows ?? req.deps.config.api.maxRows;
}

/** Intersects the Range header with the root level's limit/offset. */
function withRange(query: QueryParams, range: [number, number | null] | null): QueryParams {
  if (range === null) return query;
  const root = query.levels.get("");
  if (!root) return query;
  const offset = Math.max(root.offset ?? 0, range[0]);
  const queryUpper = root.limit === null ? null : (root.offset ?? 0) + root.limit - 1;
  const upper = [queryUpper, range[1]].filter((v): v is number => v !== null);
  const limit = upper.length === 0 ? null : Math.max(0, Math.min(...upper) - offset + 1);
  root.offset = offset;
  root.limit = limit;
  return query;
}
