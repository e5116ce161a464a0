import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";

/** An ordinary table with the columns that take values on insert. */
export interface InsertableTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: string[];
}

/**
 * The ordinary tables of the `public` schema (the ones sync push replaces), extension-owned tables
 * left out, with their insertable columns (generated columns left out) in column order.
 */
export async function listPublicTables(client: pg.ClientBase): Promise<InsertableTable[]> {
  const { rows } = await client.query<InsertableTable>(`
    select n.nspname as schema, c.relname as name,
           array(select a.attname::text from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                 order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname = 'public'
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    order by c.relname collate "C"`);
  return rows;
}

/** The insertable columns of one table, or null when it does not exist. */
export async function insertableColumns(
  client: pg.ClientBase,
  schema: string,
  name: string,
): Promise<string[] | null> {
  const { rows } = await client.query<{ columns: string[] | null }>(
    `select case when to_regclass($1) is null then null else
       array(select a.attname::text from pg_attribute a
             where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
             order by a.attnum) end as columns`,
    [quoteQualified(schema, name)],
  );
  return rows[0]?.columns ?? null;
}

/** Row counts of the given tables, by `schema.name`. */
export async function countRows(
  client: pg.ClientBase,
  tables: readonly { schema: string; name: string }[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (tables.length === 0) return counts;
  // One round trip for all tables: a union of count(*) queries.
  const sql = tables
    .map((t, i) => `select ${i} as i, count(*) as n from ${quoteQualified(t.schema, t.name)}`)
    .join(" union all ");
  const { rows } = await client.query<{ i: number; n: string }>(sql);
  for (const row of rows) {
    const table = tables[row.i];
    if (table) counts.set(`${table.schema}.${table.name}`, Number(row.n));
  }
  return counts;
}

/**
 * Orders tables so that a table comes after the tables its foreign keys reference (self references
 * ignored), for loading with foreign-key checks on. Tables in a reference cycle keep their given
 * order at the end.
 */
export async function orderByForeignKeys<T extends { schema: string; name: string }>(
  client: pg.ClientBase,
  tables: readonly T[],
): Promise<T[]> {
  const { rows } = await client.query<{ child: string; parent: string }>(`
    select cn.nspname || '.' || c.relname as child, pn.nspname || '.' || p.relname as parent
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
    join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
    where k.contype = 'f' and k.conrelid <> k.confrelid`);
  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  const wanted = new Set(tables.map(key));
  const parents = new Map<string, Set<string>>();
  for (const { child, parent } of rows) {
    if (!wanted.has(child) || !wanted.has(parent)) continue;
    const set = parents.get(child) ?? new Set<string>();
    set.add(parent);
    parents.set(child, set);
  }
  const ordered: T[] = [];
  const placed = new Set<string>();
  let remaining = [...tables];
  while (remaining.length > 0) {
    const ready = remaining.filter((t) => [...(parents.get(key(t)) ?? [])].every((p) => placed.has(p)));
    if (ready.length === 0) {
      ordered.push(...remaining);
      break;
    }
    for (const t of ready) placed.add(key(t));
    ordered.push(...ready);
    remaining = remaining.filter((t) => !placed.has(key(t)));
  }
  return ordered;
}
