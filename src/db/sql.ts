/**
 * Quotes an identifier for SQL. Every identifier that reaches generated SQL goes through here;
 * values never do (they are bound parameters).
 */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new Error("identifier contains a NUL character");
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.name`, both parts quoted. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * Quotes a string literal. Only for the few statements that take no parameters (CREATE DATABASE,
 * ALTER ROLE ... PASSWORD, SET); everything else binds values as parameters.
 */
export function quoteLiteral(value: string): string {
  if (value.includes("\u0000")) throw new Error("literal contains a NUL character");
  return `'${value.replaceAll("'", "''")}'`;
}
