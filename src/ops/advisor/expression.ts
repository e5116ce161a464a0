/** The per-statement helpers a policy should call once, wrapped in a scalar subquery. */
const CALL = /auth\.(uid|jwt|role|email)\(\)|current_setting\(/iy;

/**
 * The calls to auth.uid(), auth.jwt(), auth.role(), auth.email() and current_setting() in a
 * policy expression (as pg_get_expr prints it) that are not inside a `( SELECT ...)` subquery:
 * PostgreSQL evaluates those once per row instead of once per statement. A text scan that skips
 * string literals and tracks parentheses, so `(select (auth.jwt() ->> 'x')::uuid)` counts as
 * wrapped where a plain "select auth." pattern would not.
 *
 * @example
 * unwrappedCalls("(owner = auth.uid())") // ["auth.uid()"]
 * unwrappedCalls("(owner = ( SELECT auth.uid() AS uid))") // []
 */
export function unwrappedCalls(expression: string): string[] {
  const calls: string[] = [];
  // For each open parenthesis: does it start a subquery?
  const groups: boolean[] = [];
  let i = 0;
  while (i < expression.length) {
    const char = expression[i];
    if (char === "'") {
      i = skipLiteral(expression, i);
      continue;
    }
    if (char === "(") {
      groups.push(/^\(\s*select\b/i.test(expression.slice(i, i + 16)));
      i += 1;
      continue;
    }
    if (char === ")") {
      groups.pop();
      i += 1;
      continue;
    }
    CALL.lastIndex = i;
    const match = CALL.exec(expression);
    if (match) {
      const open = match[0].endsWith("(");
      if (!groups.includes(true)) calls.push(open ? "current_setting()" : match[0].toLowerCase());
      // current_setting's own parenthesis opens a group like any other; auth.uid() has none left.
      i += open ? match[0].length - 1 : match[0].length;
      continue;
    }
    i += 1;
  }
  return calls;
}

/** The index just past the string literal that starts at `start` ('' escapes a quote). */
function skipLiteral(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "'") {
      if (text[i + 1] === "'") i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return i;
}
