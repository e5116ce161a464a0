import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { databaseName } from "../../db/database-url.js";
import { quoteQualified } from "../../db/sql.js";
import { withTransaction } from "../../db/transaction.js";
import { readHistory } from "../../migrate/history.js";
import { copyOutSql, type DataTable, listDataTables, tableKey } from "./checksums.js";
import { type FileSink, openFileSink } from "./file-sink.js";
import { applyOutputSettings } from "./output-settings.js";
import { RowHasher } from "./row-hash.js";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupHeader,
  type BackupManifest,
  END_OF_DATA,
  type MigrationLine,
  type ProgressListener,
  type SequenceValue,
  type TableChecksum,
  type TableLine,
} from "./types.js";

/** The default file name's extension. */
export const BACKUP_EXTENSION = ".gwbackup";

export interface BackupOptions {
  /** The file to write; default `<backupsDir>/<timestamp>_<dbname>.gwbackup`. */
  readonly output?: string;
  readonly backupsDir: string;
  readonly onProgress?: ProgressListener;
  readonly now?: Date;
}

export interface BackupResult {
  readonly file: string;
  readonly manifest: BackupManifest;
}

/**
 * Writes a backup of the database at `databaseUrl` (format: see types.ts): a header, the applied
 * migrations' SQL (the schema is rebuilt by replaying them), every data table's rows streamed with
 * `COPY ... TO STDOUT` straight into the file — hashed on the way, so counting and checksumming
 * costs no second scan — and the manifest last. Everything is read in one
 * `REPEATABLE READ READ ONLY` transaction, so the file is one consistent snapshot. The file is
 * written under a temporary name and renamed when complete.
 */
export async function backupDatabase(databaseUrl: string, options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? new Date();
  const database = databaseName(databaseUrl);
  const file = path.resolve(
    options.output ?? path.join(options.backupsDir, `${timestamp(now)}_${database}${BACKUP_EXTENSION}`),
  );
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let out: FileSink | undefined;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    out = openFileSink(file);
    await applyOutputSettings(client);
    const sink = out;
    const manifest = await withTransaction(
      client,
      { isolation: "repeatable read", readOnly: true },
      async () => {
        const tables = await listDataTables(client);
        // Taken up front, as pg_dump does, so no table can be dropped or altered under the snapshot.
        if (tables.length > 0) {
          await client.query(
            `lock table ${tables.map((t) => quoteQualified(t.schema, t.name)).join(", ")} in access share mode`,
          );
        }
        const header: BackupHeader = {
          kind: "header",
          format: BACKUP_FORMAT,
          formatVersion: BACKUP_FORMAT_VERSION,
          createdAt: now.toISOString(),
          database,
          serverVersion: await serverVersion(client),
          encoding: "UTF8",
          tables: tables.map(({ schema, name }) => ({ schema, name })),
        };
        await sink.write(`${JSON.stringify(header)}\n`);
        for (const line of await readMigrations(client)) await sink.write(`${JSON.stringify(line)}\n`);
        const progress = new BackupProgress(await estimateRows(client, tables), options.onProgress);
        const checksums: TableChecksum[] = [];
        for (const table of tables) checksums.push(await writeTable(client, sink, table, progress));
        const written = await readManifest(client, header, checksums);
        await sink.write(`${JSON.stringify(written)}\n`);
        return written;
      },
    );
    await out.commit();
    return { file, manifest };
  } catch (error) {
    out?.discard();
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Writes one table's section: its header line, its rows as `COPY ... TO STDOUT` prints them, and the
 * end marker. The bytes are hashed as they pass, giving the manifest's count and checksum.
 */
async function writeTable(
  client: pg.Client,
  out: FileSink,
  table: DataTable,
  progress: BackupProgress,
): Promise<TableChecksum> {
  const line: TableLine = { kind: "table", schema: table.schema, name: table.name, columns: table.columns };
  await out.write(`${JSON.stringify(line)}\n`);
  const hasher = new RowHasher();
  const key = tableKey(table);
  for await (const chunk of client.query(copyTo(copyOutSql(table)))) {
    hasher.update(chunk as Buffer);
    await out.write(chunk as Buffer);
    progress.rows(key, hasher.rows);
  }
  await out.write(`${END_OF_DATA}\n`);
  progress.tableDone(key, hasher.rows);
  return { schema: table.schema, name: table.name, rows: hasher.rows, checksum: hasher.digest() };
}

/** Progress in rows against the planner's estimates, corrected with each table's real count. */
class BackupProgress {
  private doneBefore = 0;
  private total: number;

  constructor(
    private readonly estimates: Map<string, number>,
    private readonly listener: ProgressListener | undefined,
  ) {
    this.total = [...estimates.values()].reduce((sum, n) => sum + n, 0);
  }

  rows(table: string, rows: number): void {
    const done = this.doneBefore + rows;
    this.listener?.(done, Math.max(this.total, done), table);
  }

  tableDone(table: string, rows: number): void {
    this.total += rows - (this.estimates.get(table) ?? 0);
    this.doneBefore += rows;
    this.listener?.(this.doneBefore, Math.max(this.total, this.doneBefore), table);
  }
}

/** The planner's row estimates (no scan): good enough for a progress bar's total. */
async function estimateRows(client: pg.Client, tables: readonly DataTable[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ key: string; rows: number }>(
    `select n.nspname || '.' || c.relname as key, greatest(c.reltuples, 0)::float8 as rows
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return new Map(rows.map((row) => [row.key, Number(row.rows)]));
}

async function serverVersion(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ server_version: string }>("show server_version");
  return rows[0]?.server_version ?? "unknown";
}

async function readManifest(
  client: pg.Client,
  header: BackupHeader,
  tables: readonly TableChecksum[],
): Promise<BackupManifest> {
  // Checked first: a failed query would abort the snapshot transaction (a database without the platform).
  const hasPlatform = await client.query<{ exists: boolean }>(
    "select to_regclass('groundwork.platform_migrations') is not null as exists",
  );
  const platform = hasPlatform.rows[0]?.exists
    ? await client.query<{ version: number; name: string; checksum: string }>(
        "select version, name, checksum from groundwork.platform_migrations order by version",
      )
    : { rows: [] };
  const history = await readHistory(client);
  const sequences = await client.query<SequenceValue>(
    `select schemaname as schema, sequencename as name, last_value::text as "lastValue" from pg_sequences
     where schemaname not in ('pg_catalog', 'information_schema')
     order by 1, 2`,
  );
  return {
    kind: "manifest",
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: header.createdAt,
    database: header.database,
    serverVersion: header.serverVersion,
    platform: platform.rows,
    migrations: history.map(({ version: v, name }) => ({ version: v, name })),
    tables,
    sequences: sequences.rows,
  };
}

async function readMigrations(client: pg.Client): Promise<MigrationLine[]> {
  const exists = await client.query<{ exists: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as exists",
  );
  if (!exists.rows[0]?.exists) return [];
  const history = await readHistory(client);
  const statements = await client.query<{ version: string; statements: string[] | null }>(
    "select version, statements from supabase_migrations.schema_migrations",
  );
  const byVersion = new Map(statements.rows.map((row) => [row.version, row.statements ?? []]));
  return history.map((migration) => ({
    kind: "migration",
    version: migration.version,
    name: migration.name,
    checksum: migration.checksum,
    statements: byVersion.get(migration.version) ?? [],
  }));
}

/** `20261122T043000Z`-style, sortable and safe in file names. */
function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
