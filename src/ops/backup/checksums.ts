import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";
import type { TableChecksum } from "./types.js";

/** A table whose data a backup carries, with the columns that take values on insert. */
export interface DataTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: string[];
}

/**
 * Tables whose rows belong to the project: every ordinary table outside the system schemas, except
 * extension-owned tables and the two history tables a restore rebuilds itself.
 */
export async function listDataTables(client: pg.ClientBase): Promise<DataTable[]> {
  const { rows } = await client.query<DataTable>(`
    select n.nspname as schema, c.relname as name,
           array(select a.attname::text from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                 order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r'
      and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      and n.nspname not like 'pg\\_temp%' and n.nspname not like 'pg\\_toast\\_temp%'
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
      and (n.nspname, c.relname) not in (('groundwork', 'platform_migrations'),
                                         ('supabase_migrations', 'schema_migrations'))
    order by n.nspname collate "C", c.relname collate "C"`);
  return rows;
}

/**
 * Row count and content checksum of one table: the sum of the first 64 bits of each row's md5
 * (over its composite text form), so row order, physical layout and collation do not matter and no
 * sort is needed. Backup, restore and verify all use this one query.
 */
export async function tableChecksum(
  client: pg.ClientBase,
  table: { schema: string; name: string },
): Promise<TableChecksum> {
  const { rows } = await client.query<{ rows: string; checksum: string }>(
    `select count(*) as rows,
            md5(coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text) as checksum
     from ${quoteQualified(table.schema, table.name)} t`,
  );
  const row = rows[0];
  return {
    schema: table.schema,
    name: table.name,
    rows: Number(row?.rows ?? 0),
    checksum: row?.checksum ?? "",
  };
}

/** Checksums of every data table, in name order. */
export async function databaseChecksums(client: pg.ClientBase): Promise<TableChecksum[]> {
  const result: TableChecksum[] = [];
  for (const table of await listDataTables(client)) result.push(await tableChecksum(client, table));
  return result;
}

/** `schema.name` for messages and table keys. */
export function tableKey(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`;
}
