import { createHash } from "node:crypto";
import type pg from "pg";
import { withTenantScope } from "../../../db/caller-scope.js";
import { contextSettings, escapeLiteral, type RequestContext } from "../../../db/context.js";
import { quoteIdent } from "../../../db/sql.js";
import type { TableInfo } from "./catalog.js";

/** Subscribers with identical role and claims: one visibility check serves them all. */
export interface ClaimsGroup {
  readonly key: string;
  readonly context: RequestContext;
}

/** Per pooled connection: the row lookups it has PREPAREd (statement text hash -> name). */
const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();

/**
 * Which groups may SELECT the changed row under RLS right now — all groups of one change in one
 * round trip. In one read-only transaction, the settings every group shares are made once; then
 * for each group, in a savepoint, its own settings (together exactly those `withContext` makes
 * for the data API, tenant scope included), the row's lookup by primary key through a statement
 * prepared once per connection (so the policies are planned once, not once per group), and the
 * savepoint rolled back. Supabase runs one query per subscriber; this is one statement per
 * distinct claims set and one round trip per change.
 */
export async function visibleGroups(
  pool: pg.Pool,
  table: TableInfo,
  key: Readonly<Record<string, string | null>>,
  groups: readonly ClaimsGroup[],
): Promise<Set<string>> {
  if (groups.length < PARALLEL_FROM) return visibleInOneTrip(pool, table, key, groups);
  // Many groups: split over two connections, so PostgreSQL checks them on two cores at once.
  const half = Math.ceil(groups.length / 2);
  const parts = await Promise.all([
    visibleInOneTrip(pool, table, key, groups.slice(0, half)),
    visibleInOneTrip(pool, table, key, groups.slice(half)),
  ]);
  return new Set(parts.flatMap((part) => [...part]));
}

/** From how many claims groups a change's check is split over two connections. */
const PARALLEL_FROM = 64;

async function visibleInOneTrip(
  pool: pg.Pool,
  table: TableInfo,
  key: Readonly<Record<string, string | null>>,
  groups: readonly ClaimsGroup[],
): Promise<Set<string>> {
  const visible = new Set<string>();
  if (groups.length === 0) return visible;
  const values = table.keyColumns.map((column) => key[column.name]);
  if (values.some((value) => value === null || value === undefined)) return visible;

  const lookup = lookupStatement(table);
  const contexts = await Promise.all(groups.map((group) => withTenantScope(pool, group.context)));
  const settings: { group: ClaimsGroup; pairs: [string, string][] }[] = [];
  for (const [index, group] of groups.entries()) {
    try {
      settings.push({ group, pairs: contextSettings(contexts[index] ?? group.context) });
    } catch {
      // A claim with a NUL character cannot be set, so that caller sees nothing.
    }
  }
  const shared = sharedSettings(settings.map((s) => s.pairs));

  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let prepared = preparedOn.get(client);
    if (!prepared) {
      prepared = new Set();
      preparedOn.set(client, prepared);
    }
    const statements = ["begin isolation level read committed read only"];
    if (!prepared.has(lookup.name)) statements.push(lookup.prepare);
    if (shared.length > 0) statements.push(setConfig(shared));
    const execute = `execute ${lookup.name}(${values.map((value) => escapeLiteral(value ?? "")).join(", ")})`;
    const sharedNames = new Set(shared.map(([name, value]) => `${name}\u0000${value}`));
    const own = settings.map(({ pairs }) =>
      pairs.filter(([name, value]) => !sharedNames.has(`${name}\u0000${value}`)),
    );
    // When every group makes the same settings (names), each group's overwrite all of the
    // previous group's; otherwise a savepoint per group undoes one group's before the next.
    const sameNames = own.every(
      (pairs) => pairs.map(([name]) => name).join() === own[0]?.map(([name]) => name).join(),
    );
    if (!sameNames) statements.push("savepoint visibility");
    for (const pairs of own) {
      if (pairs.length > 0) statements.push(setConfig(pairs));
      statements.push(execute);
      if (!sameNames) statements.push("rollback to savepoint visibility");
    }
    statements.push("rollback");
    const results = (await client.query(statements.join(";\n"))) as unknown as pg.QueryResult[];
    prepared.add(lookup.name);
    let index = 0;
    for (const result of results) {
      if (result.fields?.[0]?.name !== "visible") continue;
      const entry = settings[index];
      index += 1;
      if (entry && result.rows[0]?.visible === true) visible.add(entry.group.key);
    }
    return visible;
  } catch (error) {
    // The table may have changed under a prepared lookup: start this connection afresh.
    preparedOn.delete(client);
    await client.query("rollback; deallocate all").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** `PREPARE name (text, ...) AS select exists (...) where pk = $1::type ...`, named by its text. */
function lookupStatement(table: TableInfo): { name: string; prepare: string } {
  const where = table.keyColumns
    .map((column, i) => `${quoteIdent(column.name)} = $${i + 1}::${column.sqlType}`)
    .join(" and ");
  const body = `select exists (select 1 from ${quoteIdent(table.schema)}.${quoteIdent(table.name)} where ${where}) as visible`;
  const name = `gw_realtime_visible_${createHash("sha1").update(body).digest("hex").slice(0, 16)}`;
  const types = table.keyColumns.map(() => "text").join(", ");
  return { name, prepare: `prepare ${name} (${types}) as ${body}` };
}

/** The (name, value) settings every group has in common, in the order they are made. */
function sharedSettings(all: readonly (readonly [string, string])[][]): [string, string][] {
  const [first, ...rest] = all;
  if (!first) return [];
  return first.filter(([name, value]) =>
    rest.every((pairs) =>
      pairs.some(([otherName, otherValue]) => otherName === name && otherValue === value),
    ),
  ) as [string, string][];
}

function setConfig(pairs: readonly (readonly [string, string])[]): string {
  return `select ${pairs.map(([name, value]) => `set_config(${escapeLiteral(name)}, ${escapeLiteral(value)}, true)`).join(", ")}`;
}
