import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { BACKUP_FORMAT, type BackupManifest, type MigrationLine, type TableLine } from "./types.js";

/** The backup file is not one this version can restore; nothing has been changed. */
export class BackupFileError extends Error {
  override name = "BackupFileError";
}

/** What a reader hands the restore, in file order. */
export type BackupEvent =
  | { readonly kind: "migration"; readonly line: MigrationLine }
  | { readonly kind: "rows"; readonly table: TableLine; readonly rows: string[] };

/**
 * Reads a backup file: returns its manifest, and an iterator over its migrations and row batches.
 * A table's row lines are counted against its header; a truncated or garbled file throws
 * {@link BackupFileError} naming the line.
 */
export async function openBackup(
  file: string,
  batchSize: number,
): Promise<{ manifest: BackupManifest; events: AsyncGenerator<BackupEvent> }> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const manifest = parseLine(first.done ? "" : first.value, 1) as BackupManifest;
  if (manifest.kind !== "manifest" || manifest.format !== BACKUP_FORMAT) {
    lines.close();
    throw new BackupFileError(`${file} is not a Groundwork backup (its first line is not a manifest)`);
  }
  return { manifest, events: readEvents(file, iterator, batchSize) };
}

async function* readEvents(
  file: string,
  iterator: AsyncIterator<string>,
  batchSize: number,
): AsyncGenerator<BackupEvent> {
  let lineNumber = 1;
  let table: TableLine | null = null;
  let remaining = 0;
  let batch: string[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    lineNumber++;
    const text = next.value;
    if (remaining > 0 && table) {
      batch.push(text);
      remaining--;
      if (batch.length >= batchSize || remaining === 0) {
        yield { kind: "rows", table, rows: batch };
        batch = [];
      }
      continue;
    }
    if (text === "") continue;
    const line = parseLine(text, lineNumber) as MigrationLine | TableLine;
    if (line.kind === "migration") yield { kind: "migration", line };
    else if (line.kind === "table") {
      table = line;
      remaining = line.rows;
    } else throw new BackupFileError(`${file} line ${lineNumber}: unexpected entry`);
  }
  if (remaining > 0) {
    throw new BackupFileError(
      `${file} ends early: ${table ? `${table.schema}.${table.name}` : "a table"} is missing ${remaining} row(s)`,
    );
  }
}

function parseLine(text: string, lineNumber: number): { kind?: string } {
  try {
    return JSON.parse(text) as { kind?: string };
  } catch {
    throw new BackupFileError(`line ${lineNumber} of the backup file is not valid JSON`);
  }
}
