import type { TableSpec } from "../rls-matrix/types.js";
import type { TableShape } from "./types.js";

export const TENANTS_TABLE = "groundwork.tenants";
export const AUTH_USERS_TABLE = "auth.users";

/** Who a table's rows belong to, and so how seeded rows are stamped and counted. */
export interface TableScope {
  readonly shape: TableShape;
  /** Set to the test tenant on every seeded row. */
  readonly tenantColumn: string | null;
  /** Set to the user's owner value; rows are counted per user. Null: rows are counted per tenant. */
  readonly owner: OwnerColumn | null;
  /** Values the table's groundwork.protect() declaration gives (text, cast to the column type). */
  readonly fixtureValues: Readonly<Record<string, string>>;
}

/** An owner column: holding the user id, or the key of the user's row in a people table. */
export type OwnerColumn =
  | { readonly column: string; readonly kind: "user" }
  | {
      readonly column: string;
      readonly kind: "people";
      /** The people table (public.sales), its key, its user id column and its tenant column. */
      readonly table: string;
      readonly keyColumn: string;
      readonly userColumn: string;
      readonly tenantColumn: string | null;
    };

/**
 * Scopes every table: from its groundwork.protect() declaration when it has one; otherwise its
 * tenant column is a column referencing groundwork.tenants and its owner column one referencing
 * auth.users, if it has them.
 */
export function scopeTables(shapes: readonly TableShape[], declarations: readonly TableSpec[]): TableScope[] {
  const declared = new Map(declarations.map((spec) => [spec.table, spec]));
  return shapes.map((shape) => {
    const spec = declared.get(shape.table);
    if (spec) {
      let owner: OwnerColumn | null = null;
      if (spec.ownerColumn !== null) {
        owner = spec.owner
          ? { column: spec.ownerColumn, kind: "people", ...spec.owner }
          : { column: spec.ownerColumn, kind: "user" };
      }
      return { shape, tenantColumn: spec.tenantColumn, owner, fixtureValues: spec.fixtureValues };
    }
    const single = (table: string) =>
      shape.foreignKeys.find((fk) => fk.table === table && fk.columns.length === 1)?.columns[0] ?? null;
    const ownerColumn = single(AUTH_USERS_TABLE);
    return {
      shape,
      tenantColumn: single(TENANTS_TABLE),
      owner: ownerColumn === null ? null : { column: ownerColumn, kind: "user" },
      fixtureValues: {},
    };
  });
}

/** The columns a scope fixes for a user's rows (tenant and owner). */
export function fixedColumns(scope: TableScope): string[] {
  return [scope.tenantColumn, scope.owner?.column].filter((c): c is string => c !== null && c !== undefined);
}
