import { randomUUID } from "node:crypto";
import { quoteIdent } from "../../db/sql.js";
import type { ColumnInfo, TableInfo } from "./introspect.js";

/** A row to insert: columns with text values, each cast to its column's type. */
export interface RowDraft {
  readonly table: string;
  readonly columns: readonly string[];
  readonly values: readonly (string | null)[];
  readonly types: readonly string[];
}

/** A required column the runner cannot invent a value for. */
export class NoValueError extends Error {
  override name = "NoValueError";
}

/**
 * Drafts a row of `info`: the `fixed` values (tenant, owner and foreign key columns), then the
 * declaration's fixture values, then an invented value for every other required column without a
 * default. `serial` makes text values unique, so unique constraints hold across drafts.
 */
export function draftRow(
  info: TableInfo,
  fixed: ReadonlyMap<string, string | null>,
  fixtureValues: Readonly<Record<string, string>>,
  serial: number,
): RowDraft {
  const columns: string[] = [];
  const values: (string | null)[] = [];
  const types: string[] = [];
  for (const column of info.columns) {
    let value: string | null | undefined;
    if (column.generated) continue;
    if (fixed.has(column.name)) value = fixed.get(column.name) ?? null;
    else if (fixtureValues[column.name] !== undefined) value = fixtureValues[column.name];
    else if (column.notNull && !column.defaulted) value = inventValue(info.table, column, serial);
    if (value === undefined) continue;
    columns.push(column.name);
    values.push(value);
    types.push(column.type);
  }
  return { table: info.table, columns, values, types };
}

/**
 * The INSERT for a draft. The table name is regclass text, which Postgres already quoted; column
 * names go through quoteIdent; values are parameters cast to the column type.
 */
export function insertStatement(
  draft: RowDraft,
  options: { readonly alias?: string; readonly returning?: string } = {},
): { text: string; values: (string | null)[] } {
  const target = options.alias ? `${draft.table} as ${quoteIdent(options.alias)}` : draft.table;
  const tail = options.returning ? ` returning ${options.returning}` : "";
  if (draft.columns.length === 0) return { text: `insert into ${target} default values${tail}`, values: [] };
  const columns = draft.columns.map(quoteIdent).join(", ");
  const params = draft.types.map((type, i) => `$${i + 1}::${type}`).join(", ");
  return { text: `insert into ${target} (${columns}) values (${params})${tail}`, values: [...draft.values] };
}

/**
 * A value that satisfies the usual constraints: an enum's first label, the first value of an
 * `in (...)` check, an address for columns named like email, short slug-like text otherwise.
 */
export function inventValue(table: string, column: ColumnInfo, serial: number): string {
  if (column.firstEnumLabel !== null) return column.firstEnumLabel;
  if (column.firstAllowedValue !== null) return column.firstAllowedValue;
  switch (column.category) {
    case "S": {
      const text = /email/i.test(column.name) ? `rls-${serial}@example.com` : `rls-test-${serial}`;
      return column.maxLength === null ? text : text.slice(-column.maxLength);
    }
    case "N":
      return "1";
    case "B":
      return "false";
    case "D":
      return "now";
    case "T":
      return "1 day";
    case "I":
      return "127.0.0.1";
    case "A":
      return "{}";
  }
  if (column.baseType === "uuid") return randomUUID();
  if (column.baseType === "jsonb" || column.baseType === "json") return "{}";
  if (column.baseType === "bytea") return "\\x";
  throw new NoValueError(
    `cannot invent a value for ${table}.${column.name} (${column.type}): give one in the declaration's fixture_values or the matrix file's "values"`,
  );
}
