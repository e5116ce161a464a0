import type { FtsOperator, OpExpr, Operation, SimpleOperator } from "./ast.js";
import { Cursor } from "./cursor.js";

const SIMPLE: readonly SimpleOperator[] = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "match",
  "imatch",
  "isdistinct",
  "cs",
  "cd",
  "ov",
  "sl",
  "sr",
  "nxr",
  "nxl",
  "adj",
];
const QUANTIFIABLE: ReadonlySet<string> = new Set([
  "eq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "match",
  "imatch",
]);
const FTS: readonly FtsOperator[] = ["fts", "plfts", "phfts", "wfts"];
const IS_VALUES = ["null", "not_null", "true", "false", "unknown"] as const;

/** Whether a value reads as an operator expression (RPC GET: a filter rather than an argument). */
export function looksLikeOperator(value: string): boolean {
  const head = value.split(".")[0] ?? "";
  if (head === "not" && value.split(".").length > 2) return true;
  if (head === "in" || head === "is") return value.includes(".");
  const name = head.replace(/\(.*$/, "");
  return (SIMPLE as readonly string[]).includes(name) || (FTS as readonly string[]).includes(name)
    ? value.includes(".")
    : false;
}

/** Parses a whole filter value, `[not.]op[(q)].value` (the value is the rest of the text). */
export function parseFilterValue(text: string): OpExpr {
  const cursor = new Cursor(text, `filter (${text})`);
  const expr = parseOpExpr(cursor, "single");
  return expr;
}

/**
 * Parses an operator expression at the cursor. In `single` mode the value is the rest of the
 * text; in `logic` mode (inside `or=(...)`) it ends at `,` or `)` unless quoted or a `{...}`
 * array literal.
 */
export function parseOpExpr(cursor: Cursor, mode: "single" | "logic"): OpExpr {
  const negated = cursor.take("not.");
  const start = cursor.pos;
  const name = /^[a-z_]*/i.exec(cursor.rest)?.[0] ?? "";
  cursor.pos += name.length;
  const operation = parseOperation(cursor, name, start, mode);
  return { negated, operation };
}

function parseOperation(cursor: Cursor, name: string, start: number, mode: "single" | "logic"): Operation {
  if (name === "in" && cursor.take(".")) return { kind: "in", values: parseList(cursor) };
  if (name === "is" && cursor.take(".")) {
    const word = /^[a-z_]*/i.exec(cursor.rest)?.[0]?.toLowerCase() ?? "";
    const value = IS_VALUES.find((v) => v === word);
    if (!value) throw cursor.fail("null or trilean value (unknown, true, false)");
    cursor.pos += word.length;
    return { kind: "is", value };
  }
  const fts = FTS.find((op) => op === name);
  if (fts) {
    let config: string | null = null;
    if (cursor.take("(")) {
      config = cursor.identifier();
      if (!cursor.take(")")) throw cursor.fail('")"');
    }
    if (!cursor.take(".")) throw cursor.fail("delimiter (.)");
    return { kind: "fts", operator: fts, config, value: parseValue(cursor, mode) };
  }
  const simple = SIMPLE.find((op) => op === name);
  if (!simple) {
    if (name === "") throw cursor.fail('"not" or operator (eq, gt, ...)', start);
    throw cursor.error(`unknown single value operator ${name}`, start);
  }
  let quantifier: "any" | "all" | null = null;
  if (QUANTIFIABLE.has(simple) && cursor.take("(")) {
    if (cursor.take("any)")) quantifier = "any";
    else if (cursor.take("all)")) quantifier = "all";
    else throw cursor.fail('"any" or "all"');
  }
  if (!cursor.take(".")) throw cursor.fail("delimiter (.)");
  return { kind: "simple", operator: simple, quantifier, value: parseValue(cursor, mode) };
}

function parseValue(cursor: Cursor, mode: "single" | "logic"): string {
  if (mode === "single") {
    const value = cursor.rest;
    cursor.pos = cursor.text.length;
    return value;
  }
  if (cursor.peek() === '"') {
    const save = cursor.pos;
    const value = cursor.quoted();
    if (cursor.eof() || cursor.peek() === "," || cursor.peek() === ")") return value;
    cursor.pos = save;
  }
  if (cursor.peek() === "{") {
    const end = cursor.text.indexOf("}", cursor.pos);
    const inner = end < 0 ? "" : cursor.text.slice(cursor.pos + 1, end);
    if (end >= 0 && !inner.includes("{")) {
      const value = cursor.text.slice(cursor.pos, end + 1);
      cursor.pos = end + 1;
      return value;
    }
  }
  const start = cursor.pos;
  while (!cursor.eof() && cursor.peek() !== "," && cursor.peek() !== ")") cursor.pos += 1;
  return cursor.text.slice(start, cursor.pos);
}

/** `(a,b,"c,d")`: double-quoted items may hold `,` `)`; `\` escapes. `()` is the empty list. */
function parseList(cursor: Cursor): string[] {
  cursor.skipSpaces();
  if (!cursor.take("(")) throw cursor.fail('"("');
  cursor.skipSpaces();
  const values: string[] = [];
  if (cursor.take(")")) return values;
  for (;;) {
    let value: string | null = null;
    if (cursor.peek() === '"') {
      const save = cursor.pos;
      value = cursor.quoted();
      if (cursor.peek() !== "," && cursor.peek() !== ")") {
        cursor.pos = save;
        value = null;
      }
    }
    if (value === null) {
      const start = cursor.pos;
      while (!cursor.eof() && cursor.peek() !== "," && cursor.peek() !== ")") cursor.pos += 1;
      value = cursor.text.slice(start, cursor.pos);
    }
    values.push(value);
    if (cursor.take(",")) continue;
    if (cursor.take(")")) break;
    throw cursor.fail('"," or ")"');
  }
  cursor.skipSpaces();
  return values;
}
