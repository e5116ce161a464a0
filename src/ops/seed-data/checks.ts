import type { Bound } from "./types.js";

/** What one single-column CHECK constraint says about its column. */
export interface CheckRule {
  readonly column: string;
  readonly allowed?: readonly string[];
  readonly min?: Bound;
  readonly max?: Bound;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: RegExp;
}

const IDENT = '(?:"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*))';
/** A column reference as Postgres prints it, possibly cast (`(b)::text`) or wrapped in TRIM. */
const COLUMN_REF = String.raw`\(*(?:TRIM\(BOTH FROM )?\(*${IDENT}\)*(?:::[a-z_ ]+)?\)*`;
const NUMBER = String.raw`\(*'?(-?\d+(?:\.\d+)?)'?\)*(?:::[a-z_ ]+(?:\(\d+(?:,\d+)?\))?)?\)*`;
const COMPARISON = new RegExp(`^${COLUMN_REF} (>=|>|<=|<) ${NUMBER}$`);
const LENGTH = new RegExp(
  `^(?:length|char_length|character_length)\\(${COLUMN_REF}\\) (>=|>|<=|<|=) ${NUMBER}$`,
);
const EQUALS_ANY = new RegExp(`^${COLUMN_REF} = ANY \\(+ARRAY\\[(.*)\\]\\)+$`);
const EQUALS_ONE = new RegExp(`^${COLUMN_REF} = ('(?:[^']|'')*')(?:::[a-z_ ]+)?$`);
const MATCHES = new RegExp(`^${COLUMN_REF} (~\\*?) ('(?:[^']|'')*')(?:::[a-z_ ]+)?$`);

/**
 * Reads the common shapes of a single-column CHECK as `pg_get_constraintdef` prints them:
 * `IN (...)` / `= ANY (ARRAY[...])` / `= 'x'`, numeric comparisons and BETWEEN (printed as two
 * comparisons joined by AND), `length(col)` limits, and `col ~ 'regex'`. A trailing
 * `OR (col IS NULL)` is ignored. Parts it does not recognise are skipped: the insert then fails
 * with PostgreSQL's own message if a generated value does not fit.
 */
export function parseCheck(definition: string): CheckRule[] {
  let body = definition.replace(/^CHECK /, "").trim();
  body = unwrap(body);
  const orNull = /^(.*) OR \(\S+ IS NULL\)$/.exec(body);
  if (orNull?.[1]) body = unwrap(orNull[1]);
  if (/\bOR\b/.test(body.replace(/'(?:[^']|'')*'/g, "''"))) return [];
  return splitTopLevel(body, " AND ")
    .map((part) => parseAtom(unwrap(part)))
    .filter((rule): rule is CheckRule => rule !== null);
}

function parseAtom(atom: string): CheckRule | null {
  let match = EQUALS_ANY.exec(atom);
  if (match) return { column: columnName(match), allowed: literals(match[3] ?? "") };
  match = EQUALS_ONE.exec(atom);
  if (match) return { column: columnName(match), allowed: literals(match[3] ?? "") };
  match = LENGTH.exec(atom);
  if (match) {
    const n = Number(match[4]);
    const op = match[3];
    const column = columnName(match);
    if (op === "=") return { column, minLength: n, maxLength: n };
    if (op === "<=" || op === "<") return { column, maxLength: op === "<" ? n - 1 : n };
    return { column, minLength: op === ">" ? n + 1 : n };
  }
  match = COMPARISON.exec(atom);
  if (match) {
    const bound: Bound = { value: Number(match[4]), exclusive: match[3] === ">" || match[3] === "<" };
    const column = columnName(match);
    return match[3]?.startsWith(">") ? { column, min: bound } : { column, max: bound };
  }
  match = MATCHES.exec(atom);
  if (match) {
    const source = literals(match[4] ?? "")[0] ?? "";
    const pattern = toJsRegExp(source, match[3] === "~*");
    return pattern ? { column: columnName(match), pattern } : null;
  }
  return null;
}

function columnName(match: RegExpExecArray): string {
  return match[1] !== undefined ? match[1].replaceAll('""', '"') : (match[2] ?? "");
}

/** `'a'::text, 'b'::text` -> [a, b]. */
function literals(list: string): string[] {
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? "").replaceAll("''", "'"));
}

/** POSIX regular expressions as Postgres reads them, for the common subset JavaScript shares. */
function toJsRegExp(source: string, caseInsensitive: boolean): RegExp | null {
  try {
    return new RegExp(
      source.replaceAll("[[:alpha:]]", "[A-Za-z]").replaceAll("[[:digit:]]", "\\d"),
      caseInsensitive ? "i" : "",
    );
  } catch {
    return null;
  }
}

/** Strips parentheses that wrap the whole expression. */
function unwrap(text: string): string {
  let current = text.trim();
  while (current.startsWith("(") && closingParen(current, 0) === current.length - 1) {
    current = current.slice(1, -1).trim();
  }
  return current;
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === "(") depth++;
    if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
