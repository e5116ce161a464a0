import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";

/**
 * Empties every ordinary table of `schema` in one TRUNCATE ... RESTART IDENTITY (the schema, its
 * policies and grants are kept; identity and serial sequences start again), then restarts the
 * schema's other sequences. No CASCADE: a table of another schema that references one of these
 * makes it fail and name that table, rather than being emptied silently. Returns the tables.
 */
export async function truncateSchema(client: pg.ClientBase, schema = "public"): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by c.relname`,
    [schema],
  );
  const tables = rows.map((row) => quoteQualified(row.schema, row.name));
  if (tables.length > 0) await client.query(`truncate table ${tables.join(", ")} restart identity`);
  const sequences = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind = 'S'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i', 'e'))`,
    [schema],
  );
  for (const sequence of sequences.rows) {
    await client.query(`alter sequence ${quoteQualified(sequence.schema, sequence.name)} restart`);
  }
  return rows.map((row) => `${row.schema}.${row.name}`);
}
