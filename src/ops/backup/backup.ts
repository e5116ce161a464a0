import { once } from "node:events";
import { createWriteStream, mkdirSync, openSync, renameSync, rmSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import pg from "pg";
import { databaseName } from "../../db/database-url.js";
import { quoteQualified } from "../../db/sql.js";
import { readHistory } from "../../migrate/history.js";
import { listDataTables, tableChecksum, tableKey } from "./checksums.js";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  type MigrationLine,
  type ProgressListener,
  type SequenceValue,
  type TableLine,
} from "./types.js";

/** Blocks (8 kB each by default) read per round trip. */
const CHUNK_BLOCKS = 1000;

export interface BackupOptions {
  /** The file to write; default `<backupsDir>/<timestamp>_<dbname>.jsonl`. */
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
 * Writes a backup of the database at `databaseUrl`: the manifest, the applied migrations' SQL (the
 * schema is rebuilt by replaying them), and every data table's rows, all read in one
 * `REPEATABLE READ READ ONLY` transaction so the file is one consistent snapshot. The file is
 * written under a temporary name and renamed when complete.
 */
export async function backupDatabase(databaseUrl: string, options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? new Date();
  const database = databaseName(databaseUrl);
  const file = path.resolve(
    options.output ?? path.join(options.backupsDir, `${timestamp(now)}_${database}.jsonl`),
  );
  const partial = `${file}.partial`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let out: WriteStream | undefined;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Opened synchronously so an unwritable folder fails here, as an exception, not as a stream event.
    out = createWriteStream(partial, { fd: openSync(partial, "w") });
    await client.query("begin isolation level repeatable read read only");
    const manifest = await readManifest(client, database, now);
    const migrations = await readMigrations(client);
    await write(out, `${JSON.stringify(manifest)}\n`);
    for (const line of migrations) await write(out, `${JSON.stringify(line)}\n`);
    const tables = await listDataTables(client);
    const total = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
    let done = 0;
    for (const [index, table] of tables.entries()) {
      const rows = manifest.tables[index]?.rows ?? 0;
      const header: TableLine = { kind: "table", ...table, rows };
      await write(out, `${JSON.stringify(header)}\n`);
      done = await copyRows(client, out, table, done, total, options.onProgress);
    }
    await client.query("commit");
    out.end();
    await once(out, "finish");
    renameSync(partial, file);
    return { file, manifest };
  } catch (error) {
    out?.destroy();
    rmSync(partial, { force: true });
    throw error;
  } finally {
    await client.end();
  }
}

async function readManifest(client: pg.Client, database: string, now: Date): Promise<BackupManifest> {
  const version = await client.query<{ server_version: string }>("show server_version");
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
  const tables = [];
  for (const table of await listDataTables(client)) tables.push(await tableChecksum(client, table));
  const sequences = await client.query<SequenceValue>(
    `select schemaname as schema, sequencename as name, last_value::text as "lastValue" from pg_sequences
     where schemaname not in ('pg_catalog', 'information_schema')
     order by 1, 2`,
  );
  return {
    kind: "manifest",
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: now.toISOString(),
    database,
    serverVersion: version.rows[0]?.server_version ?? "unknown",
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

/**
 * Streams a table's rows in ranges of physical blocks (TID range scans): each query returns one
 * string of up to {@link CHUNK_BLOCKS} blocks' rows, one per line, so a million rows cost about a
 * hundred round trips instead of a million row messages. A row is its composite text form (what
 * `t::text` prints, the same text the checksum hashes) as a JSON string, so newlines inside values
 * cannot break the line format. The last range is open-ended; the snapshot keeps it consistent.
 */
async function copyRows(
  client: pg.Client,
  out: Writable,
  table: { schema: string; name: string },
  doneBefore: number,
  total: number,
  onProgress: ProgressListener | undefined,
): Promise<number> {
  const name = quoteQualified(table.schema, table.name);
  let done = doneBefore;
  await client.query(`lock table ${name} in access share mode`);
  const size = await client.query<{ blocks: string }>(
    "select pg_relation_size($1::regclass) / current_setting('block_size')::bigint as blocks",
    [name],
  );
  const blocks = Number(size.rows[0]?.blocks ?? 0);
  for (let start = 0; start === 0 || start < blocks; start += CHUNK_BLOCKS) {
    const last = start + CHUNK_BLOCKS >= blocks;
    const range = last
      ? `t.ctid >= '(${start},0)'`
      : `t.ctid >= '(${start},0)' and t.ctid < '(${start + CHUNK_BLOCKS},0)'`;
    const { rows } = await client.query<[string, string | null]>({
      text: `select count(*), string_agg(to_json(t::text)::text, E'\\n') from ${name} t where ${range}`,
      rowMode: "array",
    });
    const [count, text] = rows[0] ?? ["0", null];
    if (text !== null) await write(out, `${text}\n`);
    done += Number(count);
    onProgress?.(done, total, tableKey(table));
  }
  return done;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

/** `20261122T043000Z`-style, sortable and safe in file names. */
function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
