/**
 * Glossary
 * - data table: an ordinary table of the `public` schema; seed data is generated for these only.
 * - column rule: what the schema says a column's values must be (type, NOT NULL, length, CHECK
 *   bounds, allowed values, enum labels, uniqueness), read from the catalogs.
 * - tenant column / owner column: the columns `groundwork.protect()` recorded (or, for tables it did
 *   not protect, a column referencing groundwork.tenants / auth.users); seeded rows set them to
 *   the test tenant and to the user they are generated for.
 * - owner value: what an owner column holds for a user: the user's id, or the key of the user's
 *   row in a people table (public.sales in the example CRM).
 * - pool: rows of a parent table a foreign key may point at, per user and per tenant.
 */

/** What the schema allows in one column. */
export interface ColumnRule {
  readonly name: string;
  /** The type as `format_type` prints it, usable as a cast (`numeric(12,2)`, `public.stage`). */
  readonly type: string;
  /** The base type (domains resolved) without modifiers: `text`, `numeric`, `int4`... as typname. */
  readonly baseType: string;
  /** pg_type.typcategory of the base type: S string, N numeric, B boolean, D date/time, A array... */
  readonly category: string;
  /** For an array: the element's typname. */
  readonly elementType: string | null;
  readonly notNull: boolean;
  /** Identity or generated: never written. */
  readonly generated: boolean;
  /** The default expression, or null. */
  readonly defaultExpression: string | null;
  /** varchar(n) / char(n), and the tightest `length(col) <= n` check. */
  readonly maxLength: number | null;
  readonly minLength: number | null;
  /** numeric(p, s): precision and scale. */
  readonly precision: number | null;
  readonly scale: number | null;
  /** Bounds from CHECK constraints (`>=`, `>`, `<=`, `<`, BETWEEN); `exclusive` when strict. */
  readonly min: Bound | null;
  readonly max: Bound | null;
  /** Values an `IN (...)` / `= ANY (ARRAY[...])` / `= 'x'` check allows, or an enum's labels. */
  readonly allowed: readonly string[] | null;
  /** Regular expressions a `col ~ '...'` check requires. */
  readonly patterns: readonly RegExp[];
  /** Part of a unique constraint or unique index (alone or with other columns). */
  readonly unique: boolean;
}

export interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A foreign key, column by column. */
export interface ForeignKey {
  readonly columns: readonly string[];
  /** Qualified referenced table as regclass prints it with an empty search_path (`public.sales`). */
  readonly table: string;
  readonly referencedColumns: readonly string[];
  /** Every referencing column is nullable (the row may point nowhere). */
  readonly nullable: boolean;
}

export interface TableShape {
  /** `public.contacts` (regclass text, already quoted where needed). */
  readonly table: string;
  /** The bare name (`contacts`). */
  readonly name: string;
  readonly columns: readonly ColumnRule[];
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKey[];
  /** Column sets of the primary key, unique constraints and unique indexes. */
  readonly uniqueSets: readonly (readonly string[])[];
  /** Multi-column CHECK constraints, which no column rule captures (reported when an insert fails). */
  readonly tableChecks: readonly string[];
}
