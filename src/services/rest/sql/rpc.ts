import { quoteIdent, quoteQualified } from "../../../db/sql.js";
import type { CallMode } from "../plan/routine.js";
import type { Routine } from "../schema-cache/types.js";
import type { Params } from "./params.js";

/** The pieces of a function call: FROM items that bind the arguments, and the call itself. */
export interface CallSql {
  /** e.g. `jsonb_to_record($1::jsonb) AS pgrst_args("a" integer)`, or null without arguments. */
  readonly argsFrom: string | null;
  /** e.g. `"public"."fn"("a" := pgrst_args."a")`. */
  readonly call: string;
}

/**
 * The call of `routine` with the request's arguments bound as ONE parameter: named arguments
 * come from a JSON object expanded with jsonb_to_record using the declared parameter types
 * (so `"5"` from a query string and `5` from JSON both work); a single-parameter call passes
 * the body itself.
 */
export function callSql(
  routine: Routine,
  mode: CallMode,
  argNames: readonly string[],
  params: Params,
): CallSql {
  const fn = quoteQualified(routine.schema, routine.name);
  if (mode === "single") {
    const [param] = routine.params;
    return { argsFrom: null, call: `${fn}(${params.add(null)}::${param?.type ?? "json"})` };
  }
  const passed = routine.params.filter((p) => argNames.includes(p.name));
  if (passed.length === 0) return { argsFrom: null, call: `${fn}()` };
  const definitions = passed.map((p) => `${quoteIdent(p.name)} ${p.type}`);
  const args = passed.map(
    (p) => `${p.variadic ? "VARIADIC " : ""}${quoteIdent(p.name)} := pgrst_args.${quoteIdent(p.name)}`,
  );
  return {
    argsFrom: `jsonb_to_record(${params.add(null)}::jsonb) AS pgrst_args(${definitions.join(", ")})`,
    call: `${fn}(${args.join(", ")})`,
  };
}
