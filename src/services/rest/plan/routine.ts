import { pgrst } from "../errors.js";
import { qualifiedKey, type Routine, type SchemaCache } from "../schema-cache/types.js";
import { fuzzyBest } from "./fuzzy.js";

/** How the call passes its arguments. */
export type CallMode =
  /** Named arguments from the JSON object / query parameters. */
  | "named"
  /** The whole body to the function's single parameter (json/jsonb, text, xml, bytea). */
  | "single";

/** The body's media type as far as overloading cares (`none` for GET, `form` for url-encoded). */
export type ArgumentBody = "json" | "text" | "xml" | "bytea" | "form" | "none";

const SINGLE_TYPES: Readonly<Record<ArgumentBody, readonly string[]>> = {
  json: ["json", "jsonb"],
  text: ["text"],
  xml: ["xml"],
  bytea: ["bytea"],
  form: [],
  none: [],
};

/**
 * Picks the overload PostgREST's `findProc` would (reference §8). A function matches when the
 * argument names (`""` names an unnamed parameter) are its required parameters plus any of its
 * defaulted ones; one without parameters matches no arguments (except for a text, xml or binary
 * POST body). Only when none matches, a function whose single parameter is unnamed and of the
 * body's type (json/jsonb for JSON) takes the whole body. No match is PGRST202 (404), several
 * PGRST203 (300), listed in the schema cache's order (fewest parameters first).
 */
export function resolveRoutine(
  cache: SchemaCache,
  schema: string,
  name: string,
  argNames: readonly string[],
  body: ArgumentBody,
): { routine: Routine; mode: CallMode } {
  const overloads = cache.routines.get(qualifiedKey(schema, name)) ?? [];
  const keys = new Set(argNames);
  const named = overloads.filter((routine) => matchesNamed(routine, keys, body));
  const single = overloads.filter((routine) => !named.includes(routine) && singleUnnamed(routine, body));
  const found = named.length > 0 ? named : single;
  const [first] = found;
  if (first && found.length === 1) {
    const unnamed = first.params.length === 1 && first.params[0]?.name === "";
    return { routine: first, mode: unnamed ? "single" : "named" };
  }
  if (found.length > 1) throw ambiguous(found);
  throw notFound(cache, schema, name, [...keys].sort(), body, overloads);
}

function matchesNamed(routine: Routine, keys: ReadonlySet<string>, body: ArgumentBody): boolean {
  if (routine.params.length === 0)
    return keys.size === 0 && body !== "text" && body !== "xml" && body !== "bytea";
  const required = routine.params.filter((p) => !p.hasDefault).map((p) => p.name);
  const optional = new Set(routine.params.filter((p) => p.hasDefault).map((p) => p.name));
  const rest = [...keys].filter((key) => !optional.has(key));
  return rest.length === new Set(required).size && required.every((p) => keys.has(p));
}

/** A POST whose body goes whole to the function's one unnamed parameter of that type. */
function singleUnnamed(routine: Routine, body: ArgumentBody): boolean {
  const [param] = routine.params;
  return routine.params.length === 1 && param?.name === "" && SINGLE_TYPES[body].includes(param.type);
}

function ambiguous(routines: readonly Routine[]) {
  const list = routines
    .map((r) => `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`)
    .join(", ");
  return pgrst(
    "PGRST203",
    `Could not choose the best candidate function between: ${list}`,
    null,
    "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
  );
}

function notFound(
  cache: SchemaCache,
  schema: string,
  name: string,
  keys: readonly string[],
  body: ArgumentBody,
  overloads: readonly Routine[],
) {
  const fn = `${schema}.${name}`;
  const singleBody = body === "text" || body === "xml" || body === "bytea";
  const params = keys.length === 0 ? " without parameters" : `(${keys.join(", ")})`;
  const paramDetails =
    keys.length === 0
      ? " without parameters"
      : ` with parameter${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
  const details = singleBody
    ? ` with a single unnamed ${body} parameter`
    : body === "json"
      ? `${paramDetails} or with a single unnamed json/jsonb parameter`
      : paramDetails;
  let hint: string | null = null;
  if (!singleBody) {
    // PostgREST's noRpcHint: a close function name (score ≥ 0.75) when none has this name, else
    // the closest parameter list among the overloads.
    const guess =
      overloads.length === 0
        ? fuzzyBest(name, routineNames(cache, schema), 0.75)
        : fuzzyBest(
            paramList(keys),
            overloads.map((r) => paramList(r.params.map((p) => p.name))),
          );
    if (guess !== null)
      hint = `Perhaps you meant to call the function ${schema}.${overloads.length === 0 ? "" : name}${guess}`;
  }
  return pgrst(
    "PGRST202",
    `Could not find the function ${fn}${singleBody ? "" : params} in the schema cache`,
    `Searched for the function ${fn}${details}, but no matches were found in the schema cache.`,
    hint,
  );
}

function routineNames(cache: SchemaCache, schema: string): string[] {
  const names: string[] = [];
  for (const overloads of cache.routines.values()) {
    const name = overloads[0]?.schema === schema ? overloads[0].name : undefined;
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** `(a, b, c)`: names sorted, as PostgREST compares parameter lists. */
function paramList(names: readonly string[]): string {
  return `(${[...names].sort().join(", ")})`;
}
