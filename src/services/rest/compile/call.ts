import type { Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import type { QueryParams } from "../parse/ast.js";
import { buildReadPlan, type RootSource } from "../plan/read-plan.js";
import { type ArgumentBody, resolveRoutine } from "../plan/routine.js";
import type { RestRequest } from "../rest-request.js";
import { qualifiedKey, type Relation, type Routine } from "../schema-cache/types.js";
import { Params } from "../sql/params.js";
import { callSql } from "../sql/rpc.js";
import { mainStatement } from "../sql/statement.js";
import { compileRead } from "./read.js";

/** A compiled function call; the arguments are bound as `$1` at run time when `usesArgs`. */
export interface CompiledCall {
  readonly statement: Statement;
  readonly planned: Statement | null;
  readonly routine: Routine;
  readonly usesArgs: boolean;
  readonly media: Negotiated;
  readonly offset: number;
  readonly setResult: boolean;
}

/**
 * `/rpc/fn` (reference §8): picks the overload for the argument names and body, then builds the
 * call as a read (functions returning rows take select, filters, embeds) or as a scalar result.
 */
export function compileCall(
  req: RestRequest,
  name: string,
  query: QueryParams,
  argNames: readonly string[],
  body: ArgumentBody,
): CompiledCall {
  const { routine, mode } = resolveRoutine(req.cache, req.schema, name, argNames, body);
  const media = negotiate(req.raw.headers.accept, req.cache.dbConfig.planEnabled);
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
