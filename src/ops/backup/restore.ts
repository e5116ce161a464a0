import pg from "pg";
import { useProjectSearchPath } from "../../db/search-path.js";
import { withTransaction } from "../../db/transaction.js";
import { ensureHistoryTable } from "../../migrate/history.js";
import { applyDatabaseSettings, installPlatform } from "../../platform/apply.js";
import { databaseChecksums, tableKey } from "./checksums.js";
import { loadTable, MissingTableError, setSequences, startData } from "./load-data.js";
import { applyOutputSettings } from "./output-settings.js";
import { BackupFileError, type OpenedBackup, openBackup } from "./read-file.js";
import { describeContents, dropSchemas } from "./target-schema.js";
import type { BackupManifest, MigrationLine, ProgressListener, TableChecksum } from "./types.js";

/** The target holds data and `--force` was not given; nothing has been changed. */
export class TargetNotEmptyError extends Error {
  override name = "TargetNotEmptyError";
}

/** After loading, the target's counts or checksums differ from the manifest; rolled back. */
export class RestoreMismatchError extends Error {
  override name = "RestoreMismatchError";
  constructor(readonly mismatches: readonly string[]) {
    super(
      `the restored data does not match the backup's manifest, so nothing was restored: ${mismatches.join("; ")}`,
    );
  }
}

export interface RestoreOptions {
  /** Replace what the target holds (its non-system schemas are dropped, in the same transaction). */
  readonly force?: boolean;
  readonly onStep?: (step: "platform" | "migrations" | "data" | "verify") => void;
  readonly onProgress?: ProgressListener;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly tables: readonly TableChecksum[];
  readonly rows: number;
}

/**
 * Restores a backup file into the database at `databaseUrl` in ONE transaction: platform schema,
 * the backup's migrations replayed from their recorded SQL, every table's rows streamed from the
 * file into `COPY ... FROM STDIN` (triggers and foreign-key checks off through
 * `session_replication_role = replica`), sequence values, and then every table's count and
 * checksum recomputed from the restored rows and compared with the manifest before commit. Any
 * failure rolls everything back. The file's header and manifest are checked before the target is
 * touched. Needs a superuser (replica mode, roles).
 */
export async function restoreDatabase(
  file: string,
  databaseUrl: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const backup = await openBackup(file);
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const contents = await describeContents(client);
    if (contents.length > 0 && !options.force) {
      throw new TargetNotEmptyError(
        `the target database is not empty (${contents.join(", ")}); pass --force to replace it`,
      );
    }
    const restored = await withTransaction(client, {}, async () => {
      if (contents.length > 0) await dropSchemas(client);
      await applyOutputSettings(client);
      options.onStep?.("platform");
      await installPlatform(client);
      options.onStep?.("migrations");
      await useProjectSearchPath(client);
      await ensureHistoryTable(client);
      const rows = await replayAndLoad(client, backup, options);
      await setSequences(client, backup.manifest);
      await client.query("set local session_replication_role = origin");
      options.onStep?.("verify");
      const tables = await databaseChecksums(client);
      const mismatches = compareWithManifest(backup.manifest.tables, tables);
      if (mismatches.length > 0) throw new RestoreMismatchError(mismatches);
      return { manifest: backup.manifest, tables, rows };
    });
    await applyDatabaseSettings(client);
    return restored;
  } finally {
    await backup.close();
    await client.end();
  }
}

/** Replays the migrations and loads the tables, in file order; returns the rows loaded. */
async function replayAndLoad(
  client: pg.Client,
  backup: OpenedBackup,
  options: RestoreOptions,
): Promise<number> {
  const total = backup.manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  let rows = 0;
  let dataStarted = false;
  for await (const event of backup.events()) {
    if (event.kind === "migration") {
      await replayMigration(client, event.line);
      continue;
    }
    if (!dataStarted) {
      dataStarted = true;
      options.onStep?.("data");
      await startData(client, backup.header.tables);
    }
    const key = tableKey(event.table);
    // Rows are not counted on the way in; the bytes read give a close enough position for the bar.
    const report = () =>
      options.onProgress?.(
        Math.min(total, Math.round((total * backup.bytesRead()) / backup.size)),
        total,
        key,
      );
    rows += await loadTable(client, event.table, withEachChunk(event.data, report));
  }
  if (!dataStarted) await startData(client, backup.header.tables);
  options.onProgress?.(rows, Math.max(total, rows), "");
  return rows;
}

async function replayMigration(client: pg.Client, line: MigrationLine): Promise<void> {
  for (const statement of line.statements) await client.query(statement);
  await client.query(
    `insert into supabase_migrations.schema_migrations (version, name, statements, checksum)
     values ($1, $2, $3, $4)`,
    [line.version, line.name, line.statements, line.checksum],
  );
}

async function* withEachChunk(data: AsyncIterable<Buffer>, after: () => void): AsyncGenerator<Buffer> {
  for await (const chunk of data) {
    yield chunk;
    after();
  }
}

/** Differences between the manifest's tables and the restored ones, one line each. */
export function compareWithManifest(
  expected: readonly TableChecksum[],
  actual: readonly TableChecksum[],
): string[] {
  const found = new Map(actual.map((t) => [tableKey(t), t]));
  const mismatches: string[] = [];
  for (const table of expected) {
    const restored = found.get(tableKey(table));
    if (!restored) mismatches.push(`${tableKey(table)} is missing`);
    else if (restored.rows !== table.rows) {
      mismatches.push(`${tableKey(table)} has ${restored.rows} row(s), the backup ${table.rows}`);
    } else if (restored.checksum !== table.checksum) {
      mismatches.push(
        `${tableKey(table)} content differs (checksum ${restored.checksum} ≠ ${table.checksum})`,
      );
    }
  }
  return mismatches;
}

export { BackupFileError, MissingTableError };
