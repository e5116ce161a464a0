import { AUTH_USERS_TABLE, type TableScope, TENANTS_TABLE } from "./scope.js";

/** A user data is generated for, with the rows wanted per table (configured names). */
export interface DataUser {
  readonly key: string;
  readonly counts: Readonly<Record<string, number>>;
}

/** One table to fill: how many rows each user wants of it, in the order users are listed. */
export interface TablePlan {
  readonly scope: TableScope;
  readonly wanted: ReadonlyMap<string, number>;
  /** Tables it gets rows for only because another table's NOT NULL foreign key needs a parent. */
  readonly asParent: boolean;
}

export interface SeedPlan {
  /** Parents before children. */
  readonly tables: readonly TablePlan[];
  readonly warnings: readonly string[];
}

/** A schema the seed cannot fill, named precisely. */
export class SeedPlanError extends Error {
  override name = "SeedPlanError";
}

/**
 * Decides which tables get rows and in which order: the configured counts, plus `parentRows` rows
 * (per user for owned tables, per tenant otherwise) of every table a wanted table needs through a
 * NOT NULL foreign key and nobody asked for; then parents before children. A count naming no
 * table of the public schema is a warning, not an error, so seed 001's defaults run on any project.
 */
export function planSeed(
  scopes: readonly TableScope[],
  users: readonly DataUser[],
  parentRows: number,
): SeedPlan {
  const byName = new Map(scopes.map((scope) => [scope.shape.table, scope]));
  const warnings: string[] = [];
  const wanted = new Map<string, Map<string, number>>();
  const asParent = new Set<string>();
  const want = (table: string, user: string, rows: number) => {
    const perUser = wanted.get(table) ?? new Map<string, number>();
    perUser.set(user, rows);
    wanted.set(table, perUser);
  };
  for (const user of users) {
    for (const [name, rows] of Object.entries(user.counts)) {
      const table = name.includes(".") ? name : `public.${name}`;
      if (!byName.has(table)) {
        if (rows > 0)
          warnings.push(`counts name ${table}, which is not a table of the public schema; skipped`);
        continue;
      }
      want(table, user.key, rows);
    }
  }
  for (const user of users) {
    const queue = [...wanted.entries()]
      .filter(([, perUser]) => (perUser.get(user.key) ?? 0) > 0)
      .map(([t]) => t);
    while (queue.length > 0) {
      const scope = byName.get(queue.shift() ?? "");
      for (const fk of scope?.shape.foreignKeys ?? []) {
        if (fk.nullable || fk.table === scope?.shape.table || !byName.has(fk.table)) continue;
        if (scope?.owner?.kind === "people" && fk.columns.includes(scope.owner.column)) continue;
        const parent = byName.get(fk.table) as TableScope;
        const perUser = wanted.get(fk.table);
        const total = [...(perUser?.values() ?? [])].reduce((sum, n) => sum + n, 0);
        const mine = perUser?.get(user.key) ?? 0;
        if ((parent.owner === null && total > 0) || mine > 0) continue;
        want(fk.table, user.key, parentRows);
        asParent.add(fk.table);
        queue.push(fk.table);
      }
    }
  }
  const planned = [...wanted.entries()]
    .filter(([, perUser]) => [...perUser.values()].some((n) => n > 0))
    .map(([table, perUser]) => ({
      scope: byName.get(table) as TableScope,
      wanted: new Map(users.map((u) => [u.key, perUser.get(u.key) ?? 0])),
      asParent: asParent.has(table),
    }));
  return { tables: parentsFirst(planned), warnings };
}

/**
 * Orders tables so every foreign key points at a table already filled. A cycle is broken at its
 * nullable foreign keys (those rows get null there); a cycle of NOT NULL keys cannot be filled.
 */
function parentsFirst(plans: readonly TablePlan[]): TablePlan[] {
  const remaining = new Map(plans.map((plan) => [plan.scope.shape.table, plan]));
  const ordered: TablePlan[] = [];
  let allowNullableCut = false;
  while (remaining.size > 0) {
    const ready = [...remaining.values()].filter((plan) =>
      plan.scope.shape.foreignKeys.every(
        (fk) =>
          fk.table === plan.scope.shape.table ||
          !remaining.has(fk.table) ||
          fk.table === TENANTS_TABLE ||
          fk.table === AUTH_USERS_TABLE ||
          (allowNullableCut && fk.nullable),
      ),
    );
    if (ready.length === 0) {
      if (allowNullableCut) {
        throw new SeedPlanError(
          `cannot order ${[...remaining.keys()].join(", ")}: their NOT NULL foreign keys form a cycle, so no row can be inserted first`,
        );
      }
      allowNullableCut = true;
      continue;
    }
    allowNullableCut = false;
    for (const plan of ready.sort((a, b) => a.scope.shape.table.localeCompare(b.scope.shape.table))) {
      ordered.push(plan);
      remaining.delete(plan.scope.shape.table);
    }
  }
  return ordered;
}
