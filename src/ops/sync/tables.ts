import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";
import { type DataTable, listDataTables } from "../backup/checksums.js";

/** An ordinary table with the columns that take values on insert (see ops/backup/checksums.ts). */
export type InsertableTable = DataTable;

/**
 * The data tables of the `public` schema (the ones sync push replaces): the tables a backup
 * carries, with their insertable columns, restricted to that schema.
 */
export async function listPublicTables(client: pg.ClientBase): Promise<InsertableTable[]> {
  return (await listDataTables(client)).filter((table) => table.schema === "public");
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
