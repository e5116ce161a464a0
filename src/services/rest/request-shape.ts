import { canonicalize, decode, decodePairs } from "./parse/query-string.js";

/**
 * The shape of a query string: the string with the values of simple filters (`col=eq.5`,
 * `col=not.gt.5`, `col=cs.{a}`...) replaced by placeholders, and those values. Requests that
 * differ only in such values share one compiled plan and one prepared statement; the values are
 * bound into the plan's parameters per request. Operators whose value is rewritten before it is
 * bound (like, ilike, in, is, fts, quantifiers) and logic trees keep their values in the shape.
 */
export interface QueryShape {
  readonly query: string;
  readonly values: readonly string[];
}

const SIMPLE_FILTER =
  /^((?:not\.)?(?:eq|neq|gt|gte|lt|lte|match|imatch|isdistinct|cs|cd|ov|sl|sr|nxr|nxl|adj)\.)([\s\S]*)$/;
const NOT_FILTERS = new Set(["select", "columns", "on_conflict", "order", "limit", "offset", "and", "or"]);
/** Private-use characters around the index: a placeholder no parser rewrites. */
const MARK = "\uE000";
const PLACEHOLDER = /^\uE000gw(\d+)\uE000$/;

/** Splits a raw query string into its shape and its simple filter values. */
export function queryShape(raw: string): QueryShape {
  if (raw === "") return { query: raw, values: [] };
  const values: string[] = [];
  const parts = raw.split("&").map((part) => {
    const index = part.indexOf("=");
    if (index < 0) return part;
    const key = decode(part.slice(0, index));
    if (NOT_FILTERS.has(key.split(".").pop() ?? "")) return part;
    const match = SIMPLE_FILTER.exec(decode(part.slice(index + 1)));
    if (!match) return part;
    const placeholder = `${MARK}gw${values.length}${MARK}`;
    values.push(match[2] ?? "");
    return `${part.slice(0, index)}=${encodeURIComponent(`${match[1]}${placeholder}`)}`;
  });
  return { query: parts.join("&"), values };
}

/** Where a shape's values go in a compiled statement's parameters: [parameter, value] pairs. */
export type ValueSlots = readonly (readonly [number, number])[];

/** Finds the placeholders among a compiled statement's parameters. */
export function valueSlots(parameters: readonly (string | null)[]): ValueSlots {
  const slots: [number, number][] = [];
  parameters.forEach((parameter, i) => {
    const match = parameter === null ? null : PLACEHOLDER.exec(parameter);
    if (match) slots.push([i, Number(match[1])]);
  });
  return slots;
}

/** The statement's parameters with this request's values in place of the placeholders. */
export function bindValues(
  parameters: readonly (string | null)[],
  slots: ValueSlots,
  values: readonly string[],
): (string | null)[] {
  const bound = [...parameters];
  for (const [parameter, value] of slots) bound[parameter] = values[value] ?? null;
  return bound;
}

/** Content-Location's query: the request's own query string, sorted. */
export function canonicalQuery(raw: string): string {
  return canonicalize(decodePairs(raw));
}
