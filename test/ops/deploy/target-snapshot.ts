import pg from "pg";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import type { TableChecksum } from "../../../src/ops/backup/types.js";

/** Everything a push could change on a target, to compare before and after. */
export interface TargetSnapshot {
  /** `schema.relation:kind:rls` of every relation outside the system schemas. */
  readonly relations: readonly string[];
  readonly policies: readonly string[];
  readonly functions: readonly string[];
  readonly roles: readonly string[];
  /** The migration history rows (version, name, checksum), empty when there is no table. */
  readonly history: readonly string[];
  readonly platformHistory: readonly string[];
  /** Row counts and content checksums of every data table. */
  readonly data: readonly TableChecksum[];
  readonly searchPath: string | null;
}

async function rowsOf(client: pg.Client, sql: string): Promise<string[]> {
  const { rows } = await client.query<{ v: string }>(sql);
  return rows.map((row) => row.v);
}

/** Reads a snapshot of the database at `url`. */
export async function snapshotTarget(url: string): Promise<TargetSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = async (table: string) =>
      (await client.query<{ ok: boolean }>("select to_regclass($1) is not null as ok", [table])).rows[0]?.ok;
    return {
      relations: await rowsOf(
        client,
        `select n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relrowsecurity as v
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1`,
      ),
      policies: await rowsOf(
        client,
        "select schemaname || '.' || tablename || '.' || policyname || ':' || qual as v from pg_policies order by 1",
      ),
      functions: await rowsOf(
        client,
        `select p.oid::regprocedure::text || ':' || md5(pg_get_functiondef(p.oid)) as v
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname not in ('pg_catalog', 'information_schema') and p.prokind in ('f', 'p') order by 1`,
      ),
      roles: await rowsOf(client, "select rolname::text as v from pg_roles order by 1"),
      history: (await exists("supabase_migrations.schema_migrations"))
        ? await rowsOf(
            client,
            "select version || ':' || coalesce(name, '') || ':' || coalesce(checksum, '') as v from supabase_migrations.schema_migrations order by version",
          )
        : [],
      platformHistory: (await exists("groundwork.platform_migrations"))
        ? await rowsOf(
            client,
            "select version || ':' || checksum || ':' || applied_at as v from groundwork.platform_migrations order by version",
          )
        : [],
      data: await databaseChecksums(client),
      searchPath:
        (
          await client.query<{ v: string | null }>(
            `select (select array_to_string(setconfig, ',') from pg_db_role_setting s
                     where s.setdatabase = d.oid and s.setrole = 0) as v
             from pg_database d where d.datname = current_database()`,
          )
        ).rows[0]?.v ?? null,
    };
  } finally {
    await client.end();
  }
}

/** Runs SQL on the database at `url`. */
export async function runSql(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
