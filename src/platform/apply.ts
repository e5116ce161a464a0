import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { packageFile } from "../config/package-files.js";
import { PROJECT_SEARCH_PATH } from "../db/search-path.js";
import { quoteIdent } from "../db/sql.js";
import { withTransaction } from "../db/transaction.js";

/** One numbered platform SQL file. */
export interface PlatformFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const SQL_DIR = packageFile("src", "platform", "sql");
/** Serialises platform installs across processes (an arbitrary constant: "gw" + "platform"). */
const PLATFORM_LOCK_KEY = 0x67_77_70_6c;

let cachedFiles: PlatformFile[] | null = null;

/** The platform's numbered SQL files, in order. */
export function platformFiles(): PlatformFile[] {
  cachedFiles ??= readdirSync(SQL_DIR)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(SQL_DIR, file), "utf8");
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
  return cachedFiles;
}

/**
 * Installs or upgrades the platform schema (roles, auth, storage, extensions...) in one
 * transaction under an advisory lock. A file runs when it is new or its checksum changed; every
 * file is written to be re-runnable. Returns the names of the files it ran.
 */
export async function applyPlatformSchema(client: pg.ClientBase): Promise<string[]> {
  const ran = await withTransaction(client, {}, (tx) => installPlatform(tx));
  await applyDatabaseSettings(client);
  return ran;
}

/**
 * Installs the platform inside the caller's open transaction, so that a rollback leaves no trace
 * of it (deploy's rehearsals and failed pushes, restores): takes the platform lock (two installers
 * never run at once), runs `files` (default: every file that is new or changed since it was
 * installed) and records each in `groundwork.platform_migrations`. Returns the names it ran.
 */
export async function installPlatform(
  client: pg.ClientBase,
  files?: readonly PlatformFile[],
): Promise<string[]> {
  const installed = await lockPlatformHistory(client);
  return runPlatformFiles(
    client,
    files ?? platformFiles().filter((file) => installed.get(file.version) !== file.checksum),
  );
}

/**
 * Takes the platform lock, creates the platform history table if missing and returns what it
 * records, version -> checksum.
 */
async function lockPlatformHistory(client: pg.ClientBase): Promise<Map<number, string>> {
  await client.query("select pg_advisory_xact_lock($1)", [PLATFORM_LOCK_KEY]);
  await client.query(`
    create schema if not exists groundwork;
    create table if not exists groundwork.platform_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
  const { rows } = await client.query<{ version: number; checksum: string }>(
    "select version, checksum from groundwork.platform_migrations",
  );
  return new Map(rows.map((row) => [row.version, row.checksum]));
}

/** Runs platform files after {@link lockPlatformHistory}, recording each in the history. Returns their names. */
async function runPlatformFiles(client: pg.ClientBase, files: readonly PlatformFile[]): Promise<string[]> {
  const ran: string[] = [];
  for (const file of files) {
    try {
      await client.query(file.sql);
    } catch (error) {
      throw new Error(
        `Platform schema file ${file.version}_${file.name}.sql failed: ${(error as Error).message}`,
      );
    }
    await client.query(
      `insert into groundwork.platform_migrations (version, name, checksum) values ($1, $2, $3)
       on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, applied_at = now()`,
      [file.version, file.name, file.checksum],
    );
    ran.push(`${String(file.version).padStart(4, "0")}_${file.name}`);
  }
  return ran;
}

/** True when every platform file is applied at its current checksum (one cheap query). */
export async function platformSchemaIsCurrent(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client
    .query<{ version: number; checksum: string }>(
      `select version, checksum from groundwork.platform_migrations
     where to_regclass('groundwork.platform_migrations') is not null`,
    )
    .catch(() => ({ rows: [] as { version: number; checksum: string }[] }));
  const applied = new Map(rows.map((row) => [row.version, row.checksum]));
  return platformFiles().every((file) => applied.get(file.version) === file.checksum);
}

/**
 * Per-database settings that `CREATE DATABASE ... TEMPLATE` does not copy: the search_path that
 * puts `extensions` after `public`, as on Supabase. Skipped with no error when the connecting
 * role does not own the database (a managed database has its own settings).
 */
export async function applyDatabaseSettings(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ database: string; owner: boolean }>(
    `select current_database() as database,
            pg_has_role(current_user, (select datdba from pg_database where datname = current_database()), 'USAGE') as owner`,
  );
  const row = rows[0];
  if (!row?.owner) return;
  await client.query(`alter database ${quoteIdent(row.database)} set search_path = ${PROJECT_SEARCH_PATH}`);
}
