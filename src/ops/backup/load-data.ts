import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { quoteIdent, quoteQualified } from "../../db/sql.js";
import { tableKey } from "./checksums.js";
import type { BackupManifest, TableLine } from "./types.js";

/** A table the backup holds is not in the schema its migrations rebuilt; rolled back. */
export class MissingTableError extends Error {
  override name = "MissingTableError";
}

/**
 * Prepares the loading of rows: checks that every table of the backup exists (a table created
 * outside migrations does not, after the replay), turns off triggers and foreign-key checks for the
 * transaction (`session_replication_role = replica`, so tables load in any order and no audit rows
 * fire), and empties the tables (the platform and migrations may have seeded some).
 */
export async function startData(
  client: pg.ClientBase,
  tables: readonly { schema: string; name: string }[],
): Promise<void> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `select schema, name from unnest($1::text[], $2::text[]) as t(schema, name)
     where to_regclass(quote_ident(schema) || '.' || quote_ident(name)) is null`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  if (rows.length > 0) {
    throw new MissingTableError(
      `the backup holds ${rows.map(tableKey).join(", ")}, which the replayed migrations do not create ` +
        "(made outside migrations?); nothing was restored",
    );
  }
  await client.query("set local session_replication_role = replica");
  if (tables.length === 0) return;
  await client.query(`truncate ${tables.map((t) => quoteQualified(t.schema, t.name)).join(", ")}`);
}

/**
 * Streams one table's COPY text into `COPY table (columns) FROM STDIN` and returns the rows loaded.
 * An error names the table and, from PostgreSQL, the line and column. (`FREEZE` was measured: no
 * difference on a million rows, so it is not used.)
 */
export async function loadTable(
  client: pg.ClientBase,
  table: TableLine,
  data: AsyncIterable<Buffer>,
): Promise<number> {
  const columns = table.columns.length > 0 ? ` (${table.columns.map(quoteIdent).join(", ")})` : "";
  const copy = client.query(
    copyFrom(`copy ${quoteQualified(table.schema, table.name)}${columns} from stdin`),
  );
  try {
    await pipeline(Readable.from(data), copy);
  } catch (error) {
    const where = (error as { where?: string }).where;
    if (!("severity" in (error as object))) throw error;
    throw new Error(
      `could not load ${tableKey(table)}: ${(error as Error).message}${where ? ` (${where})` : ""}`,
      {
        cause: error,
      },
    );
  }
  return copy.rowCount;
}

/** Sets every sequence to its backed-up value (or back to its start when it was never used). */
export async function setSequences(client: pg.ClientBase, manifest: BackupManifest): Promise<void> {
  for (const sequence of manifest.sequences) {
    const name = quoteQualified(sequence.schema, sequence.name);
    if (sequence.lastValue === null) {
      await client.query(
        `select setval($1::regclass, coalesce((select start_value from pg_sequences
        where schemaname = $2 and sequencename = $3), 1), false)`,
        [name, sequence.schema, sequence.name],
      );
    } else {
      await client.query("select setval($1::regclass, $2::bigint, true)", [name, sequence.lastValue]);
    }
  }
}
