import type { FastifyReply } from "fastify";
import { contentTypeOf } from "../body.js";
import { pgrst } from "../errors.js";
import { execute, type Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import { parseQueryString } from "../parse/query-string.js";
import { buildReadPlan, type RootSource } from "../plan/read-plan.js";
import { type ArgumentBody, resolveRoutine } from "../plan/routine.js";
import { preferenceApplied } from "../preferences.js";
import { applyHeaders, executionFor, type RestRequest } from "../request.js";
import { checkSingular, readRange, sendBody } from "../response.js";
import { qualifiedKey, type Relation, type Routine } from "../schema-cache/types.js";
import { Params } from "../sql/params.js";
import { callSql } from "../sql/rpc.js";
import { mainStatement } from "../sql/statement.js";
import { compileRead, countTotal } from "./read.js";

interface CompiledCall {
  readonly statement: Statement;
  readonly planned: Statement | null;
  readonly routine: Routine;
  readonly usesArgs: boolean;
  readonly media: Negotiated;
  readonly offset: number;
  readonly setResult: boolean;
}

/** `/rpc/fn` by GET/HEAD (query-string arguments, read-only) or POST (body) — reference §8. */
export async function handleRpc(req: RestRequest, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const isPost = req.method === "POST";
  const query = parseQueryString(req.query, { rpc: !isPost });
  const { body, args, argNames } = isPost ? postArguments(req) : getArguments(query.rpcArgs);
  const key = [
    "rpc",
    req.method,
    req.schema,
    name,
    req.query,
    req.raw.headers.accept,
    req.prefs.count,
    body,
    // JSON, so that no arguments and the one unnamed argument ("") are different keys.
    JSON.stringify(argNames),
  ].join("\u0000");
  const compiled = req.deps.plans.get(key, (): CompiledCall => {
    const { routine, mode } = resolveRoutine(req.cache, req.schema, name, argNames, body);
    const media = negotiate(req.raw.headers.accept);
    const params = new Params();
    const { argsFrom, call } = callSql(routine, mode, argNames, params);
    const usesArgs = params.values.length > 0;
    const returns = routine.returns;
    if (returns.kind === "composite") {
      const relation = returns.relation
        ? (req.cache.relations.get(qualifiedKey(returns.relation.schema, returns.relation.name)) ?? null)
        : syntheticRelation(routine);
      const from = `${argsFrom === null ? "" : `${argsFrom}, LATERAL `}${call} AS "pgrst_call"`;
      const root: RootSource = {
        source: returns.relation,
        relation,
        from,
        ref: `"pgrst_call"`,
        tableName: routine.name,
      };
      const plan = buildReadPlan(req.cache, root, query);
      const objectBody =
        !routine.setof && media.type === "json" ? { ...media, type: "object" as const } : media;
      const read = compileRead(req, plan, query, objectBody, "pgrst_source AS (%s)", params);
      return { ...read, routine, usesArgs, media, setResult: routine.setof };
    }
    const argsClause = argsFrom === null ? "" : ` FROM ${argsFrom}`;
    const source =
      routine.setof && returns.kind === "scalar"
        ? `SELECT pgrst_call.pgrst_scalar FROM ${argsFrom === null ? "" : `${argsFrom}, LATERAL `}${call} AS pgrst_call(pgrst_scalar)`
        : `SELECT ${call} AS pgrst_scalar${argsClause}`;
    const text = mainStatement({
      ctes: [`pgrst_source AS (${source})`],
      rows: "SELECT * FROM pgrst_source",
      body: returns.kind === "void" ? { kind: "none" } : { kind: "scalar", setof: routine.setof, media },
      // `count=exact` (and estimated, exact below max-rows) counts the function's rows.
      total:
        req.prefs.count === "exact" || req.prefs.count === "estimated"
          ? "(SELECT pg_catalog.count(*) FROM pgrst_source)"
          : null,
    });
    return {
      statement: { text, values: params.values },
      planned: null,
      routine,
      usesArgs,
      media,
      offset: 0,
      setResult: routine.setof,
    };
  });
  const strictMax = req.prefs.handling === "strict" ? req.prefs.maxAffected : null;
  if (strictMax !== null && !compiled.routine.setof) {
    throw pgrst(
      "PGRST128",
      "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
    );
  }
  const values = [...compiled.statement.values];
  if (compiled.usesArgs) values[0] = args;
  const { result, planned } = await execute(
    { text: compiled.statement.text, values },
    {
      ...executionFor(req, !isPost || compiled.routine.volatility !== "v"),
      plannedCount: compiled.planned,
      check: (r) => {
        checkSingular(compiled.media, r);
        if (strictMax !== null && r.pageTotal > strictMax) {
          throw pgrst(
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
            `The query affects ${r.pageTotal} rows`,
          );
        }
      },
    },
  );
  const applied = preferenceApplied(req.prefs, { count: true });
  if (applied) reply.header("preference-applied", applied);
  if (compiled.routine.returns.kind === "void") {
    applyHeaders(req, reply, result);
    return sendBody(reply, req.method, 204, result, null, null);
  }
  const total = countTotal(req, result.total, planned);
  const { status, contentRange } = compiled.setResult
    ? readRange(compiled.offset, result.pageTotal, total)
    : { status: 200, contentRange: `0-${Math.max(result.pageTotal - 1, 0)}/${total ?? "*"}` };
  reply.header("content-range", contentRange);
  applyHeaders(req, reply, result);
  return sendBody(reply, req.method, status, result, compiled.media.contentType, result.body);
}

/** POST arguments: a JSON object's keys (or the raw body for text/xml/bytea single-parameter calls). */
function postArguments(req: RestRequest): { body: ArgumentBody; args: string | null; argNames: string[] } {
  const raw = req.raw.body;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : "";
  const type = contentTypeOf(req.raw.headers["content-type"]);
  if (type === "text/plain") return { body: "text", args: text, argNames: [] };
  if (type === "text/xml") return { body: "xml", args: text, argNames: [] };
  if (type === "application/octet-stream")
    return { body: "bytea", args: `\\x${(raw as Buffer).toString("hex")}`, argNames: [] };
  if (type === "application/x-www-form-urlencoded") {
    const object = Object.fromEntries(new URLSearchParams(text));
    return { body: "form", args: JSON.stringify(object), argNames: Object.keys(object) };
  }
  if (text.trim() === "") return { body: "json", args: "{}", argNames: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw pgrst("PGRST102", "Empty or invalid json");
  }
  const keys = typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  return { body: "json", args: text, argNames: keys };
}

/** GET arguments: non-filter query parameters; a repeated one becomes an array (VARIADIC). */
function getArguments(pairs: readonly (readonly [string, string])[]): {
  body: ArgumentBody;
  args: string;
  argNames: string[];
} {
  const object: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const existing = object[key];
    if (existing === undefined) object[key] = value;
    else object[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { body: "none", args: JSON.stringify(object), argNames: Object.keys(object) };
}

/** Columns of a `RETURNS TABLE(...)` / OUT-parameter result, as a relation for types and `*`. */
function syntheticRelation(routine: Routine): Relation | null {
  if (routine.returns.kind !== "composite") return null;
  const columnList = routine.returns.columns;
  return {
    schema: routine.schema,
    name: routine.name,
    kind: "f",
    columns: new Map(columnList.map((c) => [c.name, c])),
    columnList,
    primaryKey: [],
    insertable: false,
    updatable: false,
    deletable: false,
  };
}
