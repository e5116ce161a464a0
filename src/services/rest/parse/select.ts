import type { AggregateFunction, SelectItem } from "./ast.js";
import { Cursor } from "./cursor.js";

const AGGREGATES: readonly AggregateFunction[] = ["count", "sum", "avg", "max", "min"];

/**
 * Parses `select=` (reference §3): columns, `*`, `alias:col`, `col::type`, JSON paths,
 * aggregates, embeds `alias:rel!hint!inner(...)` and spreads `...rel(...)`.
 *
 * @example parseSelect("id,name:full_name,client:clients!inner(id)")
 */
export function parseSelect(text: string): SelectItem[] {
  const cursor = new Cursor(text, `select parameter (${text})`);
  const items = parseItems(cursor, 0);
  if (!cursor.eof()) throw cursor.fail('",", ")" or end of input');
  return items;
}

function parseItems(cursor: Cursor, depth: number): SelectItem[] {
  cursor.skipSpaces();
  // `rel()` selects nothing from the embed (used with !inner to filter only).
  if (depth > 0 && cursor.peek() === ")") return [];
  if (depth === 0 && cursor.eof()) return [];
  const items = [parseItem(cursor, depth)];
  cursor.skipSpaces();
  while (cursor.take(",")) {
    cursor.skipSpaces();
    items.push(parseItem(cursor, depth));
    cursor.skipSpaces();
  }
  return items;
}

function parseItem(cursor: Cursor, depth: number): SelectItem {
  if (depth > 20) throw cursor.error("select is nested too deeply");
  if (cursor.take("*")) {
    cursor.skipSpaces();
    return { kind: "star" };
  }
  if (cursor.take("...")) return parseEmbed(cursor, depth, null, cursor.fieldName(), true);
  const start = cursor.pos;
  let alias: string | null = null;
  let name = cursor.fieldName();
  if (cursor.peek() === ":" && cursor.peek(1) !== ":") {
    cursor.pos += 1;
    alias = name;
    if (cursor.take("...")) throw cursor.fail("field name (* or [a..z0..9_$])", cursor.pos - 3);
    name = cursor.fieldName();
  }
  if (cursor.peek() === "!" || cursor.peek() === "(") {
    if (name === "count" && cursor.startsWith("()")) {
      cursor.pos += 2;
      return { kind: "count", alias, cast: parseCast(cursor) };
    }
    return parseEmbed(cursor, depth, alias, name, false);
  }
  const json = cursor.jsonPath();
  if (json.length > 0 && (cursor.peek() === "(" || cursor.peek() === "!")) throw cursor.fail('"," or ")"');
  const cast = parseCast(cursor);
  let aggregate: AggregateFunction | null = null;
  let aggregateCast: string | null = null;
  if (cursor.peek() === ".") {
    cursor.pos += 1;
    const fn = AGGREGATES.find((candidate) => cursor.startsWith(`${candidate}()`));
    if (!fn) throw cursor.fail("aggregate function (count, sum, avg, max, min)");
    cursor.pos += fn.length + 2;
    aggregate = fn;
    aggregateCast = parseCast(cursor);
  }
  cursor.skipSpaces();
  if (!cursor.eof() && cursor.peek() !== "," && cursor.peek() !== ")") {
    throw cursor.fail('letter, digit, "-", "->>", "->", "::", ")", "," or end of input');
  }
  if (name === "" && start === cursor.pos) throw cursor.fail("field name (* or [a..z0..9_$])");
  return { kind: "field", field: { name, json }, alias, cast, aggregate, aggregateCast };
}

function parseCast(cursor: Cursor): string | null {
  if (!cursor.take("::")) return null;
  return cursor.identifier();
}

function parseEmbed(
  cursor: Cursor,
  depth: number,
  alias: string | null,
  relation: string,
  spread: boolean,
): SelectItem {
  let hint: string | null = null;
  let join: "inner" | "left" | null = null;
  for (let i = 0; i < 2 && cursor.take("!"); i += 1) {
    if (/^(inner|left)(?=[!(])/.test(cursor.rest)) {
      join = cursor.startsWith("inner") ? "inner" : "left";
      cursor.pos += join.length;
    } else hint = cursor.fieldName();
  }
  if (cursor.peek() !== "(") throw cursor.fail('"("');
  cursor.pos += 1;
  const select = parseItems(cursor, depth + 1);
  cursor.skipSpaces();
  if (!cursor.take(")")) throw cursor.fail('"," or ")"');
  cursor.skipSpaces();
  return { kind: "embed", relation, alias, hint, join, spread, select };
}
