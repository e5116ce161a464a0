import type pg from "pg";
import { type AppliedMigration, readHistory } from "../../migrate/history.js";
import { countRows, type InsertableTable, listPublicTables } from "./tables.js";
import type { SyncPlan, TablePlan, UserPlan } from "./types.js";

export interface PlanOptions {
  /** The command that brings the target's migrations up to date, named in the refusal. */
  readonly pushCommand?: string;
}

/**
 * Works out what `sync push` would do to the target, changing nothing: per public table the rows
 * deleted (target) and copied (local), the users, tenants and memberships upserted, and the
 * problems that forbid the sync (migration histories that differ, tables or columns that differ,
 * a local user's email taken on the target by another id).
 */
export async function planSync(
  local: pg.ClientBase,
  target: pg.ClientBase,
  options: PlanOptions = {},
): Promise<SyncPlan> {
  const [localHistory, targetHistory] = [await readHistory(local), await readHistory(target)];
  const problems = compareHistories(localHistory, targetHistory, options.pushCommand);
  const [localTables, targetTables] = [await listPublicTables(local), await listPublicTables(target)];
  const targetByName = new Map(targetTables.map((t) => [t.name, t]));
  const comparable = localTables.filter((t) => targetByName.has(t.name));
  // Table differences follow from missing migrations; listed only when the histories agree.
  if (problems.length === 0) problems.push(...compareTables(localTables, targetTables));
  const localCounts = await countRows(local, comparable);
  const targetCounts = await countRows(target, comparable);
  const tables: TablePlan[] = comparable.map((t) => ({
    table: `public.${t.name}`,
    schema: t.schema,
    name: t.name,
    columns: t.columns,
    localRows: localCounts.get(`public.${t.name}`) ?? 0,
    targetRows: targetCounts.get(`public.${t.name}`) ?? 0,
  }));
  const users = await planUsers(local, target, problems);
  const tenancy = (await hasTenancy(local)) && (await hasTenancy(target));
  const tenants = tenancy ? await countOf(local, "select count(*) as n from groundwork.tenants") : 0;
  const memberships = tenancy ? await countOf(local, "select count(*) as n from groundwork.memberships") : 0;
  return {
    tables,
    users,
    tenants,
    memberships,
    migrations: localHistory.map((m) => m.version),
    problems,
  };
}

/** Refusals for migration histories that differ, with what to run. */
export function compareHistories(
  local: readonly AppliedMigration[],
  target: readonly AppliedMigration[],
  pushCommand = "groundwork db push --target NAME",
): string[] {
  const problems: string[] = [];
  const onTarget = new Map(target.map((m) => [m.version, m]));
  const onLocal = new Map(local.map((m) => [m.version, m]));
  const missing = local.filter((m) => !onTarget.has(m.version)).map((m) => m.version);
  if (missing.length > 0) {
    problems.push(
      `The target lacks ${missing.length} migration(s) the local database has (${missing.join(", ")}): run ${pushCommand} first.`,
    );
  }
  const extra = target.filter((m) => !onLocal.has(m.version)).map((m) => m.version);
  if (extra.length > 0) {
    problems.push(
      `The target has ${extra.length} migration(s) the local database lacks (${extra.join(", ")}): bring the local database up to date (groundwork migration up) first.`,
    );
  }
  for (const migration of local) {
    const other = onTarget.get(migration.version);
    // A history written by the Supabase CLI records no checksum: then only the version can be compared.
    if (other && migration.checksum && other.checksum && migration.checksum !== other.checksum) {
      problems.push(
        `Migration ${migration.version} was applied with different content locally and on the target (checksums differ).`,
      );
    }
  }
  return problems;
}

/** Refusals for public tables on one side only, or with other columns. */
function compareTables(
  localTables: readonly InsertableTable[],
  targetTables: readonly InsertableTable[],
): string[] {
  const problems: string[] = [];
  const targetByName = new Map(targetTables.map((t) => [t.name, t]));
  for (const table of localTables) {
    const other = targetByName.get(table.name);
    if (!other) problems.push(`Table public.${table.name} exists locally but not on the target.`);
    else if (!sameColumns(table.columns, other.columns)) {
      problems.push(
        `Table public.${table.name} has other columns on the target (local: ${table.columns.join(", ")}; target: ${other.columns.join(", ")}).`,
      );
    }
  }
  const localNames = new Set(localTables.map((t) => t.name));
  for (const table of targetTables) {
    if (!localNames.has(table.name)) {
      problems.push(`Table public.${table.name} exists on the target but not locally.`);
    }
  }
  return problems;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");
}

async function planUsers(
  local: pg.ClientBase,
  target: pg.ClientBase,
  problems: string[],
): Promise<UserPlan[]> {
  if (!(await hasAuthUsers(local))) return [];
  if (!(await hasAuthUsers(target))) {
    problems.push("The target has no auth.users table: the platform schema is not installed there.");
    return [];
  }
  const { rows } = await local.query<{ id: string; email: string | null }>(
    "select id::text, email from auth.users order by email nulls last, id",
  );
  const onTarget = await target.query<{ id: string; email: string | null }>(
    "select id::text, email from auth.users where id = any($1::uuid[]) or lower(email) = any($2::text[])",
    [rows.map((u) => u.id), rows.flatMap((u) => (u.email ? [u.email.toLowerCase()] : []))],
  );
  const targetIds = new Set(onTarget.rows.map((u) => u.id));
  for (const user of rows) {
    const clash = onTarget.rows.find(
      (u) => u.id !== user.id && u.email !== null && u.email.toLowerCase() === user.email?.toLowerCase(),
    );
    if (clash) {
      problems.push(
        `The target has a user ${clash.email} with another id (${clash.id}, local ${user.id}); delete or rename one of them first.`,
      );
    }
  }
  return rows.map((u) => ({ id: u.id, email: u.email, onTarget: targetIds.has(u.id) }));
}

async function hasAuthUsers(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("select to_regclass('auth.users') is not null as ok");
  return rows[0]?.ok === true;
}

/** Whether the database has the tenancy tables (groundwork.tenants, groundwork.memberships). */
export async function hasTenancy(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regclass('groundwork.tenants') is not null and to_regclass('groundwork.memberships') is not null as ok",
  );
  return rows[0]?.ok === true;
}

async function countOf(client: pg.ClientBase, sql: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql);
  return Number(rows[0]?.n ?? 0);
}
