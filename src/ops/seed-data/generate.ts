import { createHash } from "node:crypto";
import { faker } from "@faker-js/faker/locale/en";
import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import { parentKeys, writtenColumns } from "./columns.js";
import { insertRows } from "./insert.js";
import type { SeedPlan, TablePlan } from "./plan.js";
import { type Pool, type PoolRow, Pools } from "./pools.js";
import { AUTH_USERS_TABLE, type TableScope, TENANTS_TABLE } from "./scope.js";
import type { ColumnRule, ForeignKey, TableShape } from "./types.js";
import { columnValue, rowContext } from "./values.js";

/** A user rows are generated for: their id, and their owner value per people table. */
export interface OwnerUser {
  readonly key: string;
  readonly id: string;
  /** The key of the user's row in each people table (`public.sales` -> its id), as text. */
  readonly peopleKeys: ReadonlyMap<string, string>;
}

export interface GenerateOptions {
  readonly tenantId: string;
  readonly seed: number;
  /** Dates are placed around this time. */
  readonly now: Date;
}

/** What every table's generation shares. */
interface Run {
  readonly pools: Pools;
  readonly shapes: ReadonlyMap<string, TableShape>;
  /** Position of each planned table in the plan (parents first). */
  readonly order: ReadonlyMap<string, number>;
  readonly options: GenerateOptions;
}

/** Rows created per table, per user key. */
export type CreatedRows = Map<string, Map<string, number>>;

/** A failed insert, with the table it was for. */
export class SeedInsertError extends Error {
  override name = "SeedInsertError";
}

/**
 * Fills the planned tables, parents first, topping each user's rows up to the wanted count: a
 * user who already has them gets nothing, so a second run inserts nothing. Row `i` of a user in a
 * table is the same for the same seed whatever ran before, because the generator is seeded per
 * table and user and rows already present are generated and skipped, not regenerated.
 */
export async function generateData(
  client: pg.ClientBase,
  plan: SeedPlan,
  shapes: readonly TableShape[],
  users: readonly OwnerUser[],
  options: GenerateOptions,
): Promise<CreatedRows> {
  const scopes = new Map(plan.tables.map((t) => [t.scope.shape.table, t.scope]));
  const run: Run = {
    pools: new Pools(client, shapes, scopes, options.tenantId),
    shapes: new Map(shapes.map((shape) => [shape.table, shape])),
    order: new Map(plan.tables.map((t, i) => [t.scope.shape.table, i])),
    options,
  };
  const { pools } = run;
  const created: CreatedRows = new Map();
  for (const table of plan.tables) {
    const counts = await fillTable(client, table, users, run);
    created.set(table.scope.shape.table, counts);
    await pools.reload(table.scope.shape.table);
  }
  return created;
}

async function fillTable(
  client: pg.ClientBase,
  plan: TablePlan,
  users: readonly OwnerUser[],
  run: Run,
): Promise<Map<string, number>> {
  const { scope } = plan;
  const { options } = run;
  const columns = writtenColumns(scope);
  const existing = await existingRows(client, scope, options.tenantId);
  const rows: (string | null)[][] = [];
  const created = new Map<string, number>();
  const keys = uniqueKeys(scope, columns);
  // Rows of a table without owner are the tenant's: user after user, one sequence of row numbers.
  let tenantIndex = 0;
  for (const [ordinal, user] of users.entries()) {
    const wanted = plan.wanted.get(user.key) ?? 0;
    faker.seed(seedFor(options.seed, scope.shape.table, user.key));
    const ownerValue = ownerValueOf(scope, user);
    const have = scope.owner ? (existing.get(ownerValue ?? "") ?? 0) : (existing.get("") ?? 0);
    let made = 0;
    for (let i = 0; i < wanted; i++) {
      const index = scope.owner ? i : tenantIndex++;
      const serial = scope.owner ? (ordinal + 1) * 100_000 + i + 1 : index + 1;
      const row = await uniqueRow(() => buildRow(scope, columns, user, ownerValue, serial, run), keys, scope);
      if (index < have) continue;
      rows.push(row);
      made++;
    }
    created.set(user.key, made);
  }
  try {
    await insertRows(client, scope.shape.table, columns, rows);
  } catch (error) {
    const checks =
      scope.shape.tableChecks.length > 0 ? ` (its table checks: ${scope.shape.tableChecks.join("; ")})` : "";
    throw new SeedInsertError(`seeding ${scope.shape.table} failed: ${(error as Error).message}${checks}`);
  }
  return created;
}

/** Most attempts at a row whose unique columns differ from the rows before it. */
const UNIQUE_ATTEMPTS = 25;

/** Per unique column set (among the written columns), the positions of its columns and the keys seen. */
function uniqueKeys(scope: TableScope, columns: readonly ColumnRule[]) {
  const names = columns.map((column) => column.name);
  return scope.shape.uniqueSets
    .filter((set) => set.every((column) => names.includes(column)))
    .map((set) => ({ positions: set.map((column) => names.indexOf(column)), seen: new Set<string>() }));
}

/**
 * Builds rows until one differs from those before it in every unique column set: a combination of
 * foreign keys (an enrollment's course and student) can repeat where generated text cannot.
 */
async function uniqueRow(
  build: () => Promise<(string | null)[]>,
  keys: ReturnType<typeof uniqueKeys>,
  scope: TableScope,
): Promise<(string | null)[]> {
  for (let attempt = 0; attempt < UNIQUE_ATTEMPTS; attempt++) {
    const row = await build();
    // A key with a null in it never collides (PostgreSQL treats nulls as distinct).
    const values = keys.map(({ positions }) =>
      positions.some((p) => row[p] == null) ? null : JSON.stringify(positions.map((p) => row[p])),
    );
    if (keys.some(({ seen }, i) => values[i] != null && seen.has(values[i]))) continue;
    keys.forEach(({ seen }, i) => {
      if (values[i] != null) seen.add(values[i]);
    });
    return row;
  }
  throw new SeedInsertError(
    `cannot make enough distinct rows of ${scope.shape.table} for its unique constraints ` +
      `(${scope.shape.uniqueSets.map((set) => `(${set.join(", ")})`).join(", ")}): ask for fewer rows or more parent rows`,
  );
}

async function buildRow(
  scope: TableScope,
  columns: ReturnType<typeof writtenColumns>,
  user: OwnerUser,
  ownerValue: string | null,
  serial: number,
  run: Run,
): Promise<(string | null)[]> {
  const { pools, options, shapes, order } = run;
  const values = new Map<string, string | null>();
  if (scope.tenantColumn) values.set(scope.tenantColumn, options.tenantId);
  if (scope.owner) values.set(scope.owner.column, ownerValue);
  for (const [column, value] of Object.entries(scope.fixtureValues)) values.set(column, value);
  for (const fk of parentKeys(scope, order)) {
    if (fk.columns.every((column) => values.has(column))) continue;
    if (fk.columns.length === 1 && fk.table === AUTH_USERS_TABLE)
      values.set(fk.columns[0] as string, user.id);
    else if (fk.columns.length === 1 && fk.table === TENANTS_TABLE)
      values.set(fk.columns[0] as string, options.tenantId);
    else {
      const parent = pickParent(await pools.get(fk.table), fk, values, user, scope.shape.foreignKeys, shapes);
      if (parent === null && !fk.nullable) {
        throw new SeedInsertError(
          `seeding ${scope.shape.table} needs a row of ${fk.table} for ${fk.columns.join(", ")} (NOT NULL) and the test tenant has none`,
        );
      }
      fk.columns.forEach((column, i) => {
        if (!values.has(column)) values.set(column, parent?.[fk.referencedColumns[i] as string] ?? null);
      });
      if (parent) inheritParents(values, parent, shapes.get(fk.table), scope.shape.foreignKeys);
    }
  }
  const row = rowContext(scope.shape, faker, serial, options.now);
  return columns.map((column) =>
    values.has(column.name) ? (values.get(column.name) ?? null) : columnValue(column, row),
  );
}

/**
 * A parent row for a foreign key: one of the user's own rows of that table if it has an owner
 * column, else any of the tenant's; among those, rows that agree with the parents already chosen
 * (a contact of the opportunity's organization) when there are any, and only rows that agree with
 * columns already set by a composite key that shares them.
 */
function pickParent(
  pool: Pool,
  fk: ForeignKey,
  values: ReadonlyMap<string, string | null>,
  user: OwnerUser,
  childKeys: readonly ForeignKey[],
  shapes: ReadonlyMap<string, TableShape>,
): PoolRow | null {
  const agrees = (row: PoolRow) =>
    fk.columns.every(
      (column, i) => !values.has(column) || row[fk.referencedColumns[i] as string] === values.get(column),
    );
  const ownKeys = [...user.peopleKeys.values(), user.id];
  const own = ownKeys.flatMap((key) => pool.byOwner.get(key) ?? []).filter(agrees);
  const candidates = own.length > 0 ? own : pool.rows.filter(agrees);
  const parentKeys = shapes.get(fk.table)?.foreignKeys ?? [];
  const consistent = candidates.filter((row) =>
    parentKeys.every((parentKey) => {
      const mine = sameTarget(childKeys, parentKey);
      if (!mine?.columns.every((column) => values.get(column) != null)) return true;
      return parentKey.columns.every(
        (column, i) => row[column] == null || row[column] === values.get(mine.columns[i] as string),
      );
    }),
  );
  const choice = consistent.length > 0 ? consistent : candidates;
  return choice.length > 0 ? faker.helpers.arrayElement(choice) : null;
}

/** Sets the child's other foreign keys from the picked parent's, where both point at the same rows. */
function inheritParents(
  values: Map<string, string | null>,
  parent: PoolRow,
  parentShape: TableShape | undefined,
  childKeys: readonly ForeignKey[],
): void {
  for (const parentKey of parentShape?.foreignKeys ?? []) {
    const mine = sameTarget(childKeys, parentKey);
    if (!mine || mine.columns.some((column) => values.has(column))) continue;
    if (parentKey.columns.some((column) => parent[column] == null)) continue;
    mine.columns.forEach((column, i) => {
      values.set(column, parent[parentKey.columns[i] as string] ?? null);
    });
  }
}

/** The child's foreign key to the same table and columns as `key`, if it has one. */
function sameTarget(childKeys: readonly ForeignKey[], key: ForeignKey): ForeignKey | undefined {
  return childKeys.find(
    (fk) => fk.table === key.table && fk.referencedColumns.join(",") === key.referencedColumns.join(","),
  );
}

function ownerValueOf(scope: TableScope, user: OwnerUser): string | null {
  if (!scope.owner) return null;
  if (scope.owner.kind === "user") return user.id;
  return user.peopleKeys.get(scope.owner.table) ?? null;
}

/** Rows already present: per owner value for owned tables, under "" for the tenant's. */
async function existingRows(
  client: pg.ClientBase,
  scope: TableScope,
  tenantId: string,
): Promise<Map<string, number>> {
  const owner = scope.owner ? `${quoteIdent(scope.owner.column)}::text` : "''";
  const where = scope.tenantColumn ? `where ${quoteIdent(scope.tenantColumn)} = $1` : "";
  const { rows } = await client.query<{ owner: string | null; rows: string }>(
    `select ${owner} as owner, count(*) as rows from ${scope.shape.table} ${where} group by 1`,
    where ? [tenantId] : [],
  );
  return new Map(rows.map((row) => [row.owner ?? "", Number(row.rows)]));
}

/** A 32-bit generator seed from the run's seed, the table and the user. */
function seedFor(seed: number, table: string, user: string): number {
  return createHash("sha1").update(`${seed}:${table}:${user}`).digest().readUInt32BE(0);
}
