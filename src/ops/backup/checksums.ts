import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { quoteIdent, quoteQualified } from "../../db/sql.js";
import { withOutputSettings } from "./output-settings.js";
import { RowHasher } from "./row-hash.js";
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
 * `COPY table (columns) TO STDOUT` in text format: what a backup stores and what checksums hash.
 * Generated columns are left out (they are recomputed on load). A table with no such column is
 * copied without a column list, which prints one empty line per row.
 */
export function copyOutSql(table: { schema: string; name: string; columns: readonly string[] }): string {
  const columns = table.columns.length > 0 ? ` (${table.columns.map(quoteIdent).join(", ")})` : "";
  return `copy ${quoteQualified(table.schema, table.name)}${columns} to stdout`;
}

/** Checksums of every data table, in name order. */
export async function databaseChecksums(client: pg.ClientBase): Promise<TableChecksum[]> {
  return withOutputSettings(client, async () => {
    const result: TableChecksum[] = [];
    for (const table of await listDataTables(client)) result.push(await hashTable(client, table));
    return result;
  });
}

/** `schema.name` for messages and table keys. */
export function tableKey(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`;
}

async function hashTable(
  client: pg.ClientBase,
  table: { schema: string; name: string; columns: readonly string[] },
): Promise<TableChecksum> {
  const hasher = new RowHasher();
  for await (const chunk of client.query(copyTo(copyOutSql(table)))) hasher.update(chunk as Buffer);
  return { schema: table.schema, name: table.name, rows: hasher.rows, checksum: hasher.digest() };
}

/** A table's insertable columns (generated columns left out) in order, or null when it does not exist. */
export async function insertableColumns(
  client: pg.ClientBase,
  table: { schema: string; name: string },
): Promise<string[] | null> {
  const { rows } = await client.query<{ columns: string[] | null }>(
    `select case when to_regclass($1) is null then null else
       array(select a.attname::text from pg_attribute a
             where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
             order by a.attnum) end as columns`,
    [quoteQualified(table.schema, table.name)],
  );
  return rows[0]?.columns ?? null;
}
