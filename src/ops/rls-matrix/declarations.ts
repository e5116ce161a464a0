import type pg from "pg";
import type { Command, Rights, Scope, TableSpec } from "./types.js";

interface CatalogRow {
  table_name: string;
  tenant_column: string;
  owner_column: string | null;
  owner_table: string | null;
  owner_table_key: string | null;
  owner_user_column: string | null;
  owner_tenant_column: string | null;
  rights: Record<string, Record<Command, Scope>>;
  fixture_values: Record<string, unknown>;
  exists: boolean;
}

/** Whether the database has the tenancy kit (Groundwork's platform schema, 0010 and later). */
export async function hasTenancyKit(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regclass('groundwork.protected_tables') is not null and to_regclass('groundwork.memberships') is not null as ok",
  );
  return rows[0]?.ok === true;
}

/**
 * The declarations `groundwork.protect()` recorded, in table name order. A declaration whose
 * table no longer exists is skipped and reported in `missing`.
 */
export async function readDeclarations(
  client: pg.ClientBase,
): Promise<{ specs: TableSpec[]; missing: string[] }> {
  const { rows } = await client.query<CatalogRow>(
    `select p.*, to_regclass(p.table_name) is not null as exists
     from groundwork.protected_tables p order by p.table_name`,
  );
  const specs: TableSpec[] = [];
  const missing: string[] = [];
  for (const row of rows) {
    if (!row.exists) {
      missing.push(row.table_name);
      continue;
    }
    specs.push({
      table: row.table_name,
      tenantColumn: row.tenant_column,
      ownerColumn: row.owner_column,
      owner:
        row.owner_table && row.owner_table_key && row.owner_user_column
          ? {
              table: row.owner_table,
              keyColumn: row.owner_table_key,
              userColumn: row.owner_user_column,
              tenantColumn: row.owner_tenant_column,
            }
          : null,
      rights: row.rights,
      fixtureValues: textValues(row.fixture_values),
      source: "declaration",
    });
  }
  return { specs, missing };
}

/** Normalises rights with the database's own `groundwork.normalize_rights` (one grammar, one place). */
export async function normalizeRights(client: pg.ClientBase, rights: unknown): Promise<Rights> {
  const { rows } = await client.query<{ rights: Rights }>(
    "select groundwork.normalize_rights($1::jsonb) as rights",
    [JSON.stringify(rights)],
  );
  const normalized = rows[0]?.rights;
  if (!normalized) throw new Error("groundwork.normalize_rights returned nothing");
  return normalized;
}

/** JSON values as the text the runner casts to each column's type. */
export function textValues(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [column, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    result[column] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return result;
}
