import type pg from "pg";
import { introspectTable, type TableInfo } from "./introspect.js";
import type { OwnerTable, TableSpec } from "./types.js";

/** The kit's tenant table; tenant columns reference it unless a project has its own. */
export const TENANTS_TABLE = "groundwork.tenants";
export const USERS_TABLE = "auth.users";

/**
 * How the runner creates the rows of one table:
 * - `owner`: a declared table with an owner column, one row per simulated user;
 * - `people`: an owner table (public.sales) that is not declared itself, one row per user;
 * - `tenant`: a declared table without owner column, or a table of tenant data the declared
 *   tables need, one row per tenant;
 * - `tenants`: the project's own tenant table when it is not groundwork.tenants, one row per
 *   tenant keyed by the tenant id;
 * - `global`: anything else the declared tables reference, one row.
 */
export type TableMode =
  | { readonly kind: "owner"; readonly spec: TableSpec }
  | { readonly kind: "people"; readonly owner: OwnerTable }
  | { readonly kind: "tenant"; readonly tenantColumn: string; readonly spec: TableSpec | null }
  | { readonly kind: "tenants"; readonly keyColumn: string }
  | { readonly kind: "global" };

export interface PlannedTable {
  readonly info: TableInfo;
  readonly mode: TableMode;
}

/**
 * Every table the fixture needs, in an order where referenced tables come first: the declared
 * tables, their owner tables, a project tenant table, and whatever their foreign keys require.
 */
export async function planFixtureTables(
  client: pg.ClientBase,
  specs: readonly TableSpec[],
): Promise<PlannedTable[]> {
  const planned = new Map<string, PlannedTable>();
  const add = async (table: string, mode: TableMode) => {
    if (!planned.has(table)) planned.set(table, { info: await introspectTable(client, table), mode });
  };
  for (const spec of specs) {
    await add(spec.table, spec.ownerColumn ? { kind: "owner", spec } : tenantMode(spec));
  }
  for (const spec of specs) {
    if (spec.owner) await add(spec.owner.table, { kind: "people", owner: spec.owner });
    const tenantKey = planned
      .get(spec.table)
      ?.info.foreignKeys.find((fk) => fk.columns.length === 1 && fk.columns[0] === spec.tenantColumn);
    if (tenantKey && tenantKey.table !== TENANTS_TABLE) {
      await add(tenantKey.table, { kind: "tenants", keyColumn: tenantKey.referencedColumns[0] ?? "id" });
    }
  }
  // Tables that required foreign keys point at, until nothing new is needed.
  const tenantColumn = specs[0]?.tenantColumn ?? "tenant_id";
  for (let grew = true; grew; ) {
    grew = false;
    for (const { info } of [...planned.values()]) {
      for (const fk of info.foreignKeys) {
        if (planned.has(fk.table) || fk.table === USERS_TABLE || fk.table === TENANTS_TABLE) continue;
        const required = fk.columns.some((name) => info.columns.find((c) => c.name === name)?.notNull);
        if (!required) continue;
        const referenced = await introspectTable(client, fk.table);
        const hasTenant = referenced.columns.some((c) => c.name === tenantColumn && c.baseType === "uuid");
        planned.set(fk.table, {
          info: referenced,
          mode: hasTenant ? { kind: "tenant", tenantColumn, spec: null } : { kind: "global" },
        });
        grew = true;
      }
    }
  }
  return dependencyOrder([...planned.values()]);
}

function tenantMode(spec: TableSpec): TableMode {
  return { kind: "tenant", tenantColumn: spec.tenantColumn, spec };
}

/** Referenced tables first (Kahn's algorithm); a cycle between planned tables is an error. */
export function dependencyOrder(tables: readonly PlannedTable[]): PlannedTable[] {
  const byName = new Map(tables.map((t) => [t.info.table, t]));
  const ordered: PlannedTable[] = [];
  const done = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find(
      (t) =>
        !done.has(t.info.table) &&
        t.info.foreignKeys.every(
          (fk) => fk.table === t.info.table || !byName.has(fk.table) || done.has(fk.table),
        ),
    );
    if (!next) {
      const left = tables.filter((t) => !done.has(t.info.table)).map((t) => t.info.table);
      throw new Error(`the foreign keys between ${left.join(", ")} form a cycle: cannot order their rows`);
    }
    ordered.push(next);
    done.add(next.info.table);
  }
  return ordered;
}
