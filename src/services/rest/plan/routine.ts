import { pgrst } from "../errors.js";
import { qualifiedKey, type Routine, type SchemaCache } from "../schema-cache/types.js";
import { closest } from "./relationship.js";

/** How the call passes its arguments. */
export type CallMode =
  /** Named arguments from the JSON object / query parameters. */
  | "named"
  /** The whole body to the function's single parameter (json/jsonb, text, xml, bytea). */
  | "single";

/** The body's media type as far as overloading cares. */
export type ArgumentBody = "json" | "text" | "xml" | "bytea" | "none";

const SINGLE_TYPES: Readonly<Record<ArgumentBody, readonly string[]>> = {
  json: ["json", "jsonb"],
  text: ["text"],
  xml: ["xml"],
  bytea: ["bytea"],
  none: [],
};

/**
 * Picks the overload PostgREST would (reference §8): a function matches when the argument names
 * are its required parameters plus any of its defaulted ones. When none matches, a function with
 * a single json/jsonb (text, xml, bytea for those bodies) parameter takes the whole body.
 * No match is PGRST202 (404), several PGRST203 (300).
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
  const single = overloads.filter((routine) => {
    const [param] = routine.params;
    return routine.params.length === 1 && param !== undefined && SINGLE_TYPES[body].includes(param.baseType);
  });
  const [firstNamed] = named;
  if (firstNamed && named.length === 1) return { routine: firstNamed, mode: "named" };
  if (named.length > 1) throw ambiguous(named);
  const [firstSingle] = single;
  if (firstSingle && single.length === 1) return { routine: firstSingle, mode: "single" };
  if (single.length > 1) throw ambiguous(single);
  throw notFound(cache, schema, name, [...keys].sort(), body, overloads);
}

function matchesNamed(routine: Routine, keys: ReadonlySet<string>, body: ArgumentBody): boolean {
  if (routine.params.length === 0) return keys.size === 0 && (body === "json" || body === "none");
  if (routine.params.some((p) => p.name === "")) return false;
  const names = new Set(routine.params.map((p) => p.name));
  for (const key of keys) if (!names.has(key)) return false;
  return routine.params.every((p) => p.hasDefault || keys.has(p.name));
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
    if (overloads.length === 0) {
      const names = [...cache.routines.values()]
        .flat()
        .filter((r) => r.schema === schema)
        .map((r) => r.name);
      const guess = closest(name, names);
      if (guess) hint = `Perhaps you meant to call the function ${schema}.${guess}`;
    } else {
      const wanted = `(${keys.join(", ")})`;
      const options = overloads.map(
        (r) =>
          `(${r.params
            .map((p) => p.name)
            .sort()
            .join(", ")})`,
      );
      const guess = closest(wanted, options) ?? options[0] ?? null;
      if (guess) hint = `Perhaps you meant to call the function ${fn}${guess}`;
    }
  }
  return pgrst(
    "PGRST202",
    `Could not find the function ${fn}${singleBody ? "" : params} in the schema cache`,
    `Searched for the function ${fn}${details}, but no matches were found in the schema cache.`,
    hint,
  );
}
