import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { quoteIdent, quoteQualified } from "../../db/sql.js";
import type { SyncProgressListener, TablePlan } from "./types.js";

const NEWLINE = 0x0a;

/**
 * Streams each table's rows from `local` into `target`: `COPY table (columns) TO STDOUT` piped into
 * `COPY table (columns) FROM STDIN`, text format (portable across servers: enum and composite type
 * ids differ between databases, which binary COPY would reject), the column list explicit so
 * columns are matched by name whatever their order on each side. Runs on the caller's connections,
 * inside their transactions. Returns the rows copied.
 */
export async function copyTables(
  local: pg.ClientBase,
  target: pg.ClientBase,
  tables: readonly TablePlan[],
  onProgress?: SyncProgressListener,
): Promise<number> {
  const total = tables.reduce((sum, t) => sum + t.localRows, 0);
  let done = 0;
  for (const table of tables) {
    const name = quoteQualified(table.schema, table.name);
    const columns = table.columns.map(quoteIdent).join(", ");
    // In text format every row ends with a newline (newlines inside values are escaped), so
    // counting them counts rows as they stream past.
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) done++;
        onProgress?.(done, total, table.table);
        callback(null, chunk);
      },
    });
    const source = local.query(copyTo(`copy ${name} (${columns}) to stdout`));
    const sink = target.query(copyFrom(`copy ${name} (${columns}) from stdin`));
    await pipeline(source, counter, sink);
    onProgress?.(done, total, table.table);
  }
  return done;
}
