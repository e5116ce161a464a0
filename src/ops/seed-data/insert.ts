import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import type { ColumnRule } from "./types.js";

/** Rows per INSERT statement: large enough for few round trips, small enough for modest memory. */
const BATCH_ROWS = 5000;

/**
 * Inserts rows in bulk: one statement per batch, each column passed as one text array and cast
 * to the column's type (`select c::type from unnest($1::text[], ...)`), so a thousand rows cost
 * one round trip and values are always parameters.
 */
export async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly ColumnRule[],
  rows: readonly (readonly (string | null)[])[],
): Promise<void> {
  if (rows.length === 0) return;
  if (columns.length === 0) {
    await client.query(`insert into ${table} select from generate_series(1, $1)`, [rows.length]);
    return;
  }
  const names = columns.map((column) => quoteIdent(column.name));
  const aliases = columns.map((_, i) => `c${i}`);
  const text =
    `insert into ${table} (${names.join(", ")}) ` +
    `select ${aliases.map((alias, i) => `${alias}::${columns[i]?.type}`).join(", ")} ` +
    `from unnest(${aliases.map((_, i) => `$${i + 1}::text[]`).join(", ")}) as u (${aliases.join(", ")})`;
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS);
    await client.query(
      text,
      columns.map((_, i) => batch.map((row) => row[i] ?? null)),
    );
  }
}
