import pg from "pg";
import { quoteIdent, quoteQualified } from "../../db/sql.js";
import { ensureHistoryTable } from "../../migrate/history.js";
import { applyDatabaseSettings, platformFiles } from "../../platform/apply.js";
import { databaseChecksums, tableKey } from "./checksums.js";
import { BackupFileError, openBackup } from "./read-file.js";
import type { BackupManifest, ProgressListener, TableChecksum, TableLine } from "./types.js";

const INSERT_BATCH = 10_000;

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
 * the backup's migrations replayed from their recorded SQL, every table's rows (triggers and
 * foreign-key checks off through `session_replication_role = replica`), sequence values, and then
 * the manifest's counts and checksums compared before commit. Any failure rolls everything back.
 * Needs a superuser (replica mode, roles).
 */
export async function restoreDatabase(
  file: string,
  databaseUrl: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const { manifest, events } = await openBackup(file, INSERT_BATCH);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const contents = await describeContents(client);
    if (contents.length > 0 && !options.force) {
      throw new TargetNotEmptyError(
        `the target database is not empty (${contents.join(", ")}); pass --force to replace it`,
      );
    }
    await client.query("begin");
    try {
      if (contents.length > 0) await dropSchemas(client);
      options.onStep?.("platform");
      await installPlatform(client);
      options.onStep?.("migrations");
      await ensureHistoryTable(client);
      const total = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
      let done = 0;
      let dataStarted = false;
      for await (const event of events) {
        if (event.kind === "migration") {
          for (const statement of event.line.statements) await client.query(statement);
          await client.query(
            `insert into supabase_migrations.schema_migrations (version, name, statements, checksum)
             values ($1, $2, $3, $4)`,
            [event.line.version, event.line.name, event.line.statements, event.line.checksum],
          );
          continue;
        }
        if (!dataStarted) {
          dataStarted = true;
          options.onStep?.("data");
          await startData(client, manifest);
        }
        await insertRows(client, event.table, event.rows);
        done += event.rows.length;
        options.onProgress?.(done, total, tableKey(event.table));
      }
      if (!dataStarted) await startData(client, manifest);
      await setSequences(client, manifest);
      await client.query("set local session_replication_role = origin");
      options.onStep?.("verify");
      const tables = await databaseChecksums(client);
      const mismatches = compareWithManifest(manifest.tables, tables);
      if (mismatches.length > 0) throw new RestoreMismatchError(mismatches);
      await client.query("commit");
      await applyDatabaseSettings(client);
      return { manifest, tables, rows: done };
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    }
  } finally {
    await events.return(undefined);
    await client.end();
  }
}

/** What makes the target non-empty: its non-system schemas with their relation counts. */
async function describeContents(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; relations: string }>(`
    select n.nspname as schema, count(c.oid) as relations
    from pg_namespace n left join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
    group by n.nspname order by n.nspname`);
  return rows
    .filter((row) => row.schema !== "public" || Number(row.relations) > 0)
    .map((row) => `schema ${row.schema}: ${row.relations} relation(s)`);
}

async function dropSchemas(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ schema: string }>(
    `select nspname as schema from pg_namespace
     where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_%'`,
  );
  for (const { schema } of rows) await client.query(`drop schema ${quoteIdent(schema)} cascade`);
  await client.query(
    "create schema public authorization pg_database_owner; grant usage on schema public to public",
  );
}

/** The platform schema files, run inside the restore's transaction (applyPlatformSchema commits its own). */
async function installPlatform(client: pg.Client): Promise<void> {
  await client.query(`
    create schema if not exists groundwork;
    create table if not exists groundwork.platform_migrations (
      version integer primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`);
  for (const file of platformFiles()) {
    await client.query(file.sql);
    await client.query(
      "insert into groundwork.platform_migrations (version, name, checksum) values ($1, $2, $3) on conflict (version) do nothing",
      [file.version, file.name, file.checksum],
    );
  }
}

/** Empties the tables the backup holds (the platform and migrations may have seeded some). */
async function startData(client: pg.Client, manifest: BackupManifest): Promise<void> {
  await client.query("set local session_replication_role = replica");
  if (manifest.tables.length === 0) return;
  await client.query(`truncate ${manifest.tables.map((t) => quoteQualified(t.schema, t.name)).join(", ")}`);
}

/** Inserts a batch of rows given as JSON strings of their composite text form (see backup.ts). */
async function insertRows(client: pg.Client, table: TableLine, rows: readonly string[]): Promise<void> {
  const target = quoteQualified(table.schema, table.name);
  const columns = table.columns.map(quoteIdent);
  // offset 0 keeps the planner from parsing each row once per column.
  await client.query(
    `insert into ${target} (${columns.join(", ")}) overriding system value
     select ${columns.map((c) => `(r).${c}`).join(", ")}
     from (select x::${target} as r from json_array_elements_text($1::json) x offset 0) s`,
    [`[${rows.join(",")}]`],
  );
}

async function setSequences(client: pg.Client, manifest: BackupManifest): Promise<void> {
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

export { BackupFileError };
