import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";

/** What makes the target non-empty: its non-system schemas with their relation counts. */
export async function describeContents(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; relations: string }>(`
    select n.nspname as schema, count(c.oid) as relations
    from pg_namespace n left join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
    group by n.nspname order by n.nspname`);
  return rows
    .filter((row) => row.schema !== "public" || Number(row.relations) > 0)
    .map((row) => `schema ${row.schema}: ${row.relations} relation(s)`);
}

/** Drops every non-system schema and recreates an empty `public` (restore --force, in its transaction). */
export async function dropSchemas(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ schema: string }>(
    `select nspname as schema from pg_namespace
     where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_%'`,
  );
  // `if exists`: dropping one schema can cascade to another (an extension and the schema it made).
  for (const { schema } of rows) await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  await client.query(
    "create schema public authorization pg_database_owner; grant usage on schema public to public",
  );
}
