import type { OrderTerm } from "./ast.js";
import { Cursor } from "./cursor.js";

/**
 * Parses `order=` (reference §5): `col[.asc|.desc][.nullsfirst|.nullslast]`, JSON paths, and
 * `rel(col)` for a to-one embed's column.
 */
export function parseOrder(text: string): OrderTerm[] {
  const cursor = new Cursor(text, `order (${text})`);
  const terms = [parseTerm(cursor)];
  while (cursor.take(",")) terms.push(parseTerm(cursor));
  if (!cursor.eof()) throw cursor.fail('",", or end of input');
  return terms;
}

function parseTerm(cursor: Cursor): OrderTerm {
  cursor.skipSpaces();
  let relation: string | null = null;
  let field = cursor.field();
  if (field.json.length === 0 && cursor.peek() === "(") {
    cursor.pos += 1;
    relation = field.name;
    field = cursor.field();
    if (!cursor.take(")")) throw cursor.fail('")"');
  }
  let direction: OrderTerm["direction"] = null;
  let nulls: OrderTerm["nulls"] = null;
  if (cursor.peek() === ".") {
    cursor.pos += 1;
    if (cursor.take("asc")) direction = "asc";
    else if (cursor.take("desc")) direction = "desc";
    else if (cursor.take("nullsfirst")) nulls = "first";
    else if (cursor.take("nullslast")) nulls = "last";
    else throw cursor.fail('"asc", "desc", "nullsfirst" or "nullslast"');
    if (nulls === null && cursor.peek() === ".") {
      cursor.pos += 1;
      if (cursor.take("nullsfirst")) nulls = "first";
      else if (cursor.take("nullslast")) nulls = "last";
      else throw cursor.fail('"nullsfirst" or "nullslast"');
    }
  }
  cursor.skipSpaces();
  if (!cursor.eof() && cursor.peek() !== ",") throw cursor.fail('delimiter (.), "," or end of input');
  return { relation, field, direction, nulls };
}
