import type { LogicTree } from "./ast.js";
import { Cursor } from "./cursor.js";
import { parseOpExpr } from "./filter.js";

/**
 * Parses the value of `or=` / `and=` (reference §4.2): `(a.eq.1,and(b.gt.2,c.is.null),not.or(...))`.
 * `operator` and `negated` come from the key (`not.or`).
 */
export function parseLogicTree(operator: "and" | "or", negated: boolean, text: string): LogicTree {
  const cursor = new Cursor(text, `logic tree (${text})`);
  const children = parseChildren(cursor, 0);
  if (!cursor.eof()) throw cursor.fail("end of input");
  return { kind: "expr", negated, operator, children };
}

function parseChildren(cursor: Cursor, depth: number): LogicTree[] {
  if (depth > 20) throw cursor.error("logic tree is nested too deeply");
  cursor.skipSpaces();
  if (!cursor.take("(")) throw cursor.fail('"("');
  const children = [parseNode(cursor, depth)];
  for (;;) {
    cursor.skipSpaces();
    if (cursor.take(",")) {
      children.push(parseNode(cursor, depth));
      continue;
    }
    if (cursor.take(")")) break;
    throw cursor.fail('"," or ")"');
  }
  cursor.skipSpaces();
  return children;
}

function parseNode(cursor: Cursor, depth: number): LogicTree {
  cursor.skipSpaces();
  const nested = /^(not\.)?(and|or)\(/.exec(cursor.rest);
  if (nested) {
    cursor.pos += (nested[1] ?? "").length + (nested[2] ?? "").length;
    const children = parseChildren(cursor, depth + 1);
    return { kind: "expr", negated: nested[1] !== undefined, operator: nested[2] as "and" | "or", children };
  }
  if (cursor.peek() === ")") {
    throw cursor.fail("field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)");
  }
  const field = cursor.field();
  if (!cursor.take(".")) throw cursor.fail("delimiter (.)");
  const expr = parseOpExpr(cursor, "logic");
  return { kind: "filter", filter: { field, expr } };
}
