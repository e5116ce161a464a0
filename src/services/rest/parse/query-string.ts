import { pgrst } from "../errors.js";
import type { Field, LevelParams, QueryParams } from "./ast.js";
import { Cursor } from "./cursor.js";
import { looksLikeOperator, parseFilterValue } from "./filter.js";
import { parseLogicTree } from "./logic.js";
import { parseOrder } from "./order.js";
import { parseSelect } from "./select.js";

const RESERVED = new Set(["select", "columns", "on_conflict"]);
const EMBEDDABLE = new Set(["order", "limit", "offset", "and", "or"]);

/**
 * Splits and parses a raw query string the way PostgREST does (reference §2): `+` is a space;
 * `select`, `columns`, `on_conflict` are top-level; `order`, `limit`, `offset`, `and`, `or` may
 * carry an embed path; everything else is a filter — or, for `GET /rpc/fn`, a function argument
 * when its value is not an operator expression.
 */
export function parseQueryString(raw: string, options: { rpc: boolean }): QueryParams {
  const pairs = decodePairs(raw);
  const levels = new Map<string, LevelParams>();
  const level = (path: string): LevelParams => {
    let entry = levels.get(path);
    if (!entry) {
      entry = { filters: [], logic: [], order: null, limit: null, offset: null };
      levels.set(path, entry);
    }
    return entry;
  };
  level("");
  let select = "*";
  let columns: string[] | null = null;
  let onConflict: string[] | null = null;
  const rpcArgs: [string, string][] = [];
  for (const [key, value] of pairs) {
    if (RESERVED.has(key)) {
      if (key === "select") select = value;
      else if (key === "columns") columns = parseColumns(value, "columns");
      else onConflict = parseColumns(value, "on_conflict");
      continue;
    }
    const segments = key.split(".");
    const last = segments[segments.length - 1] as string;
    if (EMBEDDABLE.has(last)) {
      const negated = segments.length > 1 && segments[segments.length - 2] === "not";
      const path = segments.slice(0, negated ? -2 : -1).join(".");
      if (value === "") continue;
      const target = level(path);
      if (last === "order") target.order = [...(target.order ?? []), ...parseOrder(value)];
      else if (last === "limit" || last === "offset") {
        // PostgREST reads these with readMaybe: anything but an integer is ignored.
        if (!/^-?\d+$/.test(value)) continue;
        const n = Number(value);
        if (last === "limit") {
          if (n < 0) {
            throw pgrst(
              "PGRST103",
              "Requested range not satisfiable",
              "Limit should be greater than or equal to zero.",
            );
          }
          target.limit = n;
        } else target.offset = Math.max(0, n);
      } else target.logic.push(parseLogicTree(last as "and" | "or", negated, value));
      continue;
    }
    if (options.rpc && !key.includes(".") && !looksLikeOperator(value)) {
      rpcArgs.push([key, value]);
      continue;
    }
    const { path, field } = parseFilterKey(key);
    level(path.join(".")).filters.push({ field, expr: parseFilterValue(value) });
  }
  return {
    select: parseSelect(select),
    levels,
    columns,
    onConflict,
    rpcArgs,
    canonical: canonicalize(pairs),
  };
}

/** `a.b.col->x` -> embed path [a, b], field col->x. */
function parseFilterKey(key: string): { path: string[]; field: Field } {
  const cursor = new Cursor(key, `tree path (${key})`);
  const names = [cursor.fieldName()];
  while (cursor.take(".")) names.push(cursor.fieldName());
  const json = cursor.jsonPath();
  if (!cursor.eof()) throw cursor.fail('".", "->" or end of input');
  return { path: names.slice(0, -1), field: { name: names[names.length - 1] as string, json } };
}

function parseColumns(value: string, name: string): string[] {
  const cursor = new Cursor(value, `${name} parameter (${value})`);
  const columns = [cursor.fieldName()];
  cursor.skipSpaces();
  while (cursor.take(",")) {
    columns.push(cursor.fieldName());
    cursor.skipSpaces();
  }
  if (!cursor.eof()) throw cursor.fail('"," or end of input');
  return columns;
}

/** Decodes `k=v&...` with `+` as space; a malformed `%` escape is kept as written. */
export function decodePairs(raw: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (raw === "") return pairs;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const index = part.indexOf("=");
    const key = decode(index < 0 ? part : part.slice(0, index));
    const value = index < 0 ? "" : decode(part.slice(index + 1));
    pairs.push([key, value]);
  }
  return pairs;
}

/** Percent-decodes one key or value with `+` as space, as PostgREST reads the query string. */
export function decode(text: string): string {
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%[0-9a-f]{2}/gi, (sequence) => {
      try {
        return decodeURIComponent(sequence);
      } catch {
        return sequence;
      }
    });
  }
}

/** The query string sorted by key, for Content-Location. */
export function canonicalize(pairs: readonly [string, string][]): string {
  return [...pairs]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
}
