import { fixedColumns, type TableScope } from "./scope.js";
import type { ColumnRule, ForeignKey } from "./types.js";

/** A column filled by a generator, not by the tenant, the owner, a foreign key or a fixture value. */
const GENERATED_CATEGORIES = new Set(["S", "N", "B", "D", "A", "I", "T"]);
const GENERATED_TYPES = new Set(["uuid", "json", "jsonb", "bytea"]);

/** The seed cannot fill a column, named with what to do about it. */
export class SeedColumnError extends Error {
  override name = "SeedColumnError";
}

/**
 * The columns a seeded row of `scope` writes, in table order: tenant, owner, foreign-key and
 * fixture columns, and every other column except generated ones and those whose default is
 * computed (`now()`, `gen_random_uuid()`, `nextval(...)`), which are left to PostgreSQL. Constant
 * defaults (`'cold'`, `50`) are overwritten so values vary.
 */
export function writtenColumns(scope: TableScope): ColumnRule[] {
  const fixed = new Set([
    ...fixedColumns(scope),
    ...Object.keys(scope.fixtureValues),
    ...scope.shape.foreignKeys.flatMap((fk) => fk.columns),
  ]);
  return scope.shape.columns.filter((column) => {
    if (column.generated) return false;
    if (fixed.has(column.name)) return true;
    if (column.defaultExpression !== null && isComputedDefault(column.defaultExpression)) return false;
    if (canGenerate(column)) return true;
    if (column.notNull && column.defaultExpression === null) {
      throw new SeedColumnError(
        `cannot generate values for ${scope.shape.table}.${column.name} (${column.type}): give it a default, ` +
          "or a value in the table's groundwork.protect() fixture_values",
      );
    }
    return false;
  });
}

function canGenerate(column: ColumnRule): boolean {
  return (
    (column.allowed !== null && column.allowed.length > 0) ||
    GENERATED_CATEGORIES.has(column.category) ||
    GENERATED_TYPES.has(column.baseType)
  );
}

/** A default that calls something (a function, CURRENT_TIMESTAMP...) rather than a constant. */
export function isComputedDefault(expression: string): boolean {
  const withoutLiterals = expression.replace(/'(?:[^']|'')*'/g, "''");
  return (
    /[a-z_]\s*\(/i.test(withoutLiterals) ||
    /\b(CURRENT_|LOCALTIME|SESSION_USER|CURRENT_USER)/i.test(withoutLiterals)
  );
}

/**
 * Foreign keys the seed fills, the most dependent parent first (an opportunity before its
 * organization), so the row can take the later ones from the parent it picked first. Keys to
 * tables not being filled come last.
 */
export function parentKeys(scope: TableScope, order: ReadonlyMap<string, number>): ForeignKey[] {
  const fixed = new Set(fixedColumns(scope));
  return scope.shape.foreignKeys
    .filter((fk) => !fk.columns.every((column) => fixed.has(column)))
    .sort((a, b) => (order.get(b.table) ?? -1) - (order.get(a.table) ?? -1));
}
