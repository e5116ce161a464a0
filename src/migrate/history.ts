import type pg from "pg";

/** One row of the migration history. */
export interface AppliedMigration {
  readonly version: string;
  readonly name: string | null;
  /** Null when the migration was applied by the Supabase CLI, which records no checksum. */
  readonly checksum: string | null;
}

/**
 * Creates the history table exactly as the Supabase CLI does (`supabase_migrations.schema_migrations`
 * with version, statements, name), plus Groundwork's `checksum` and `applied_at` columns, so
 * either tool can manage the same database.
 */
export async function ensureHistoryTable(client: pg.ClientBase): Promise<void> {
  await client.query(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
    alter table supabase_migrations.schema_migrations add column if not exists statements text[];
    alter table supabase_migrations.schema_migrations add column if not exists name text;
    alter table supabase_migrations.schema_migrations add column if not exists checksum text;
    alter table supabase_migrations.schema_migrations add column if not exists applied_at timestamptz default now();
  `);
}

/** The applied migrations in version order; empty when the history table does not exist yet. */
export async function readHistory(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const { rows } = await client.query<{ exists: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as exists",
  );
  if (!rows[0]?.exists) return [];
  const columns = await client.query<{ column_name: string }>(
    `select column_name from information_schema.columns
     where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'`,
  );
  const hasChecksum = columns.rows.some((row) => row.column_name === "checksum");
  const hasName = columns.rows.some((row) => row.column_name === "name");
  const history = await client.query<AppliedMigration>(
    `select version, ${hasName ? "name" : "null::text as name"}, ${hasChecksum ? "checksum" : "null::text as checksum"}
     from supabase_migrations.schema_migrations order by version::numeric`,
  );
  return history.rows;
}

export async function recordMigration(
  client: pg.ClientBase,
  migration: { version: string; name: string; checksum: string },
  statements: readonly string[],
): Promise<void> {
  await client.query(
    `insert into supabase_migrations.schema_migrations (version, name, statements, checksum, applied_at)
     values ($1, $2, $3, $4, now())`,
    [migration.version, migration.name, statements, migration.checksum],
  );
}
