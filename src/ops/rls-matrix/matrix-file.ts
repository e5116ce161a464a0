import { readFileSync } from "node:fs";
import type pg from "pg";
import { normalizeRights, textValues } from "./declarations.js";
import type { TableSpec } from "./types.js";

/** A matrix file that cannot be used; the message names the file and the key. */
export class MatrixFileError extends Error {
  override name = "MatrixFileError";
}

const TABLE_KEYS = new Set([
  "tenant_column",
  "owner_column",
  "owner_table",
  "owner_user_column",
  "rights",
  "values",
]);

/** One table of a matrix file, as written. */
export interface RawTable {
  readonly name: string;
  readonly tenantColumn: string;
  readonly ownerColumn: string | null;
  readonly ownerTable: string | null;
  readonly ownerUserColumn: string;
  readonly rights: unknown;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * Reads a matrix file (JSON) for tables with hand-written policies: the same declaration
 * `groundwork.protect()` takes, per table.
 *
 * @example
 * {
 *   "tables": {
 *     "public.contacts": {
 *       "owner_column": "sales_id", "owner_table": "public.sales",
 *       "rights": { "admin": "tenant", "account_manager": "own" },
 *       "values": { "status": "cold" }
 *     }
 *   }
 * }
 */
export function readMatrixFile(file: string): RawTable[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new MatrixFileError(`${file}: not readable JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed) || !isObject(parsed.tables)) {
    throw new MatrixFileError(`${file}: expected an object with "tables": { "schema.table": {...} }`);
  }
  return Object.entries(parsed.tables).map(([name, value]) => readTable(file, name, value));
}

function readTable(file: string, name: string, value: unknown): RawTable {
  const where = `${file}: tables["${name}"]`;
  if (!isObject(value)) throw new MatrixFileError(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!TABLE_KEYS.has(key)) {
      throw new MatrixFileError(`${where}: unknown key "${key}" (expected ${[...TABLE_KEYS].join(", ")})`);
    }
  }
  if (value.rights === undefined) throw new MatrixFileError(`${where}: "rights" is required`);
  const text = (key: string): string | null => {
    const v = value[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== "string" || v === "") throw new MatrixFileError(`${where}.${key}: expected a name`);
    return v;
  };
  const values = value.values ?? {};
  if (!isObject(values)) throw new MatrixFileError(`${where}.values: expected an object of column -> value`);
  return {
    name,
    tenantColumn: text("tenant_column") ?? "tenant_id",
    ownerColumn: text("owner_column"),
    ownerTable: text("owner_table"),
    ownerUserColumn: text("owner_user_column") ?? "user_id",
    rights: value.rights,
    values,
  };
}

/**
 * Turns the file's tables into specs, checked by the database itself: the table must exist,
 * rights go through `groundwork.normalize_rights` and the owner fields through the same check
 * `groundwork.protect()` makes. Runs inside the runner's transaction (search_path empty).
 */
export async function resolveMatrixFile(
  client: pg.ClientBase,
  file: string,
  tables: readonly RawTable[],
): Promise<TableSpec[]> {
  const specs: TableSpec[] = [];
  for (const table of tables) {
    const where = `${file}: tables["${table.name}"]`;
    try {
      const { rows } = await client.query<{ table: string | null }>("select to_regclass($1)::text as table", [
        table.name,
      ]);
      const qualified = rows[0]?.table;
      if (!qualified) throw new Error(`no table ${table.name}`);
      const rights = await normalizeRights(client, table.rights);
      const owner = await client.query<{ spec: Record<string, string | null> }>(
        "select groundwork.protect_owner_spec($1::regclass, $2, $3, $4::regclass, $5) as spec",
        [qualified, table.tenantColumn, table.ownerColumn, table.ownerTable, table.ownerUserColumn],
      );
      const spec = owner.rows[0]?.spec ?? {};
      const usesOwn = Object.values(rights).some((scopes) => Object.values(scopes).includes("own"));
      if (usesOwn && !spec.owner_column) throw new Error('an "own" scope needs "owner_column"');
      specs.push({
        table: qualified,
        tenantColumn: table.tenantColumn,
        ownerColumn: spec.owner_column ?? null,
        owner:
          spec.owner_table && spec.owner_table_key && spec.owner_user_column
            ? {
                table: spec.owner_table,
                keyColumn: spec.owner_table_key,
                userColumn: spec.owner_user_column,
                tenantColumn: spec.owner_tenant_column ?? null,
              }
            : null,
        rights,
        fixtureValues: textValues(table.values),
        source: file,
      });
    } catch (error) {
      // The statement failed inside the runner's transaction: the caller rolls it back.
      throw new MatrixFileError(`${where}: ${(error as Error).message}`);
    }
  }
  return specs;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
