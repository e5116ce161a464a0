import pg from "pg";
import { maskSecrets } from "../../db/database-url.js";
import { quoteQualified } from "../../db/sql.js";
import { readHistory } from "../../migrate/history.js";

/**
 * Tables up to this size are counted exactly (count(*)); larger ones report the planner's
 * estimate (pg_stat_user_tables.n_live_tup, or pg_class.reltuples), so status stays fast.
 */
const EXACT_COUNT_MAX_BYTES = 256 * 1024 * 1024;

/** One table's rows and cumulative write counts (pg_stat_user_tables, since the last stats reset). */
export interface TableStatus {
  /** `schema.name`. */
  readonly table: string;
  readonly rows: number;
  /** False when `rows` is an estimate (a table over 256 MB). */
  readonly exact: boolean;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly bytes: number;
}

export interface StatusReport {
  /** The database's URL, password masked. */
  readonly database: string;
  readonly serverVersion: string;
  readonly sizeBytes: number;
  readonly size: string;
  readonly tables: readonly TableStatus[];
  /** Rows of auth.users; null when the database has no auth schema. */
  readonly authUsers: number | null;
  readonly connections: {
    readonly used: number;
    readonly max: number;
    /** Client connections by pg_stat_activity state (active, idle, idle in transaction...). */
    readonly byState: Readonly<Record<string, number>>;
  };
  /** Share of block reads served from shared buffers (pg_stat_database); null before any read. */
  readonly cacheHitRatio: number | null;
  readonly migrations: readonly { version: string; name: string | null }[];
}

/**
 * Reads a database's status: server version and size, per-table rows and insert/update/delete
 * counts for the tables of `schemas` (the exposed ones), auth users, connections against
 * max_connections, the cache hit ratio and the applied migrations. Read-only.
 */
export async function readStatusReport(
  databaseUrl: string,
  schemas: readonly string[] = ["public"],
): Promise<StatusReport> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const server = await client.query<{ version: string; bytes: string; size: string; max: string }>(
      `select current_setting('server_version') as version, pg_database_size(current_database()) as bytes,
              pg_size_pretty(pg_database_size(current_database())) as size,
              current_setting('max_connections') as max`,
    );
    const info = server.rows[0];
    return {
      database: maskSecrets(databaseUrl),
      serverVersion: info?.version ?? "unknown",
      sizeBytes: Number(info?.bytes ?? 0),
      size: info?.size ?? "unknown",
      tables: await readTables(client, schemas),
      authUsers: await countAuthUsers(client),
      connections: { ...(await readConnections(client)), max: Number(info?.max ?? 0) },
      cacheHitRatio: await readCacheHitRatio(client),
      migrations: (await readHistory(client)).map(({ version, name }) => ({ version, name })),
    };
  } finally {
    await client.end();
  }
}

async function readTables(client: pg.ClientBase, schemas: readonly string[]): Promise<TableStatus[]> {
  const { rows } = await client.query<{
    schema: string;
    name: string;
    estimate: string;
    inserted: string;
    updated: string;
    deleted: string;
    bytes: string;
  }>(
    `select s.schemaname as schema, s.relname as name,
            greatest(s.n_live_tup, c.reltuples::bigint, 0) as estimate,
            s.n_tup_ins as inserted, s.n_tup_upd as updated, s.n_tup_del as deleted,
            pg_total_relation_size(s.relid) as bytes
     from pg_stat_user_tables s join pg_class c on c.oid = s.relid
     where s.schemaname = any($1::text[])
     order by s.schemaname collate "C", s.relname collate "C"`,
    [schemas],
  );
  const tables: TableStatus[] = [];
  for (const row of rows) {
    const exact = Number(row.bytes) <= EXACT_COUNT_MAX_BYTES;
    const count = exact ? await countRows(client, row.schema, row.name) : Number(row.estimate);
    tables.push({
      table: `${row.schema}.${row.name}`,
      rows: count,
      exact,
      inserted: Number(row.inserted),
      updated: Number(row.updated),
      deleted: Number(row.deleted),
      bytes: Number(row.bytes),
    });
  }
  return tables;
}

async function countRows(client: pg.ClientBase, schema: string, name: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `select count(*) as n from ${quoteQualified(schema, name)}`,
  );
  return Number(rows[0]?.n ?? 0);
}

async function countAuthUsers(client: pg.ClientBase): Promise<number | null> {
  const exists = await client.query<{ ok: boolean }>("select to_regclass('auth.users') is not null as ok");
  if (!exists.rows[0]?.ok) return null;
  const { rows } = await client.query<{ n: string }>("select count(*) as n from auth.users");
  return Number(rows[0]?.n ?? 0);
}

async function readConnections(
  client: pg.ClientBase,
): Promise<{ used: number; byState: Record<string, number> }> {
  const { rows } = await client.query<{ state: string | null; n: string }>(
    `select state, count(*) as n from pg_stat_activity where backend_type = 'client backend'
     group by state order by state`,
  );
  const byState: Record<string, number> = {};
  for (const row of rows) byState[row.state ?? "unknown"] = Number(row.n);
  return { used: Object.values(byState).reduce((sum, n) => sum + n, 0), byState };
}

async function readCacheHitRatio(client: pg.ClientBase): Promise<number | null> {
  const { rows } = await client.query<{ ratio: number | null }>(
    `select case when blks_hit + blks_read = 0 then null
                 else blks_hit::float8 / (blks_hit + blks_read) end as ratio
     from pg_stat_database where datname = current_database()`,
  );
  return rows[0]?.ratio ?? null;
}
