import type { FastifyReply } from "fastify";
import { pgrst } from "../errors.js";
import { execute, type Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import type { QueryParams } from "../parse/ast.js";
import { parseQueryString } from "../parse/query-string.js";
import { buildReadPlan, type ReadNode, tableSource } from "../plan/read-plan.js";
import { preferenceApplied } from "../preferences.js";
import { applyHeaders, executionFor, findRelation, type RestRequest } from "../request.js";
import { bindValues, canonicalQuery, queryShape, valueSlots } from "../request-shape.js";
import { checkSingular, readRange, sendBody } from "../response.js";
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

/** GET/HEAD on a table or view (reference §3-§5). */
export async function handleRead(req: RestRequest, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const accept = req.raw.headers.accept;
  const range = req.method === "GET" ? requestRange(req.raw.headers.range) : null;
  // Requests that differ only in simple filter values share one plan (and prepared statement).
  const shape = queryShape(req.query);
  const key = ["read", req.schema, name, shape.query, accept, req.prefs.count, range?.join("-")].join(
    "\u0000",
  );
  const compiled = req.deps.plans.get(key, () => {
    const media = negotiate(accept);
    const query = withRange(parseQueryString(shape.query, { rpc: false }), range);
    const plan = buildReadPlan(req.cache, tableSource(relation), query);
    const read = compileRead(req, plan, query, media, "pgrst_source AS (%s)");
    return {
      ...read,
      slots: valueSlots(read.statement.values),
      plannedSlots: valueSlots(read.planned?.values ?? []),
    };
  });
  const statement = {
    text: compiled.statement.text,
    values: bindValues(compiled.statement.values, compiled.slots, shape.values),
  };
  const plannedCount = compiled.planned && {
    text: compiled.planned.text,
    values: bindValues(compiled.planned.values, compiled.plannedSlots, shape.values),
  };
  const { result, planned } = await execute(statement, {
    ...executionFor(req, true),
    plannedCount,
    check: (r) => checkSingular(compiled.media, r),
  });
  const total = countTotal(req, result.total, planned);
  const { status, contentRange } = readRange(compiled.offset, result.pageTotal, total);
  reply.header("content-range", contentRange);
  const canonical = canonicalQuery(req.query);
  reply.header("content-location", `/${name}${canonical === "" ? "" : `?${canonical}`}`);
  const applied = preferenceApplied(req.prefs, { count: true });
  if (applied) reply.header("preference-applied", applied);
  applyHeaders(req, reply, result);
  return sendBody(reply, req.method, status, result, compiled.media.contentType, result.body);
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

/** `count=estimated`: the exact count up to max-rows, the planner's estimate above it. */
export function countTotal(req: RestRequest, exact: number | null, planned: number | null): number | null {
  if (req.prefs.count === "planned") return planned;
  if (req.prefs.count === "estimated") {
    const cap = maxRows(req);
    return planned !== null && cap !== null && planned > cap ? planned : exact;
  }
  return exact;
}

/** The `Range: from-to` header (GET only); anything that does not match the pattern is ignored. */
function requestRange(header: string | undefined): [number, number | null] | null {
  const match = header === undefined ? null : /^(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const from = Number(match[1]);
  const to = match[2] === "" ? null : Number(match[2]);
  if (to !== null && from > to) {
    throw pgrst(
      "PGRST103",
      "Requested range not satisfiable",
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  return [from, to];
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
