/**
 * Glossary (the words PostgREST uses)
 * - relation: a table, view, materialized view, foreign or partitioned table the API exposes.
 * - relationship: how one relation embeds another, derived from foreign keys: many-to-one (M2O),
 *   one-to-many (O2M), one-to-one (O2O) or many-to-many (M2M, through a junction table).
 * - routine: a function callable as `/rpc/<name>`.
 * - schema cache: everything above for the exposed schemas, loaded from the catalogs at startup
 *   and again on `NOTIFY pgrst, 'reload schema'`.
 */

export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

export interface Column {
  readonly name: string;
  /** `format_type` text, e.g. `integer`, `text[]`, `public.opportunity_stage`, `numeric(12,2)`. */
  readonly type: string;
  /** `typname` of the (domain's base) type: `int4`, `_text`, `tsvector`, `jsonb`... */
  readonly baseType: string;
  readonly nullable: boolean;
  /** The default expression as Postgres prints it, or null. */
  readonly default: string | null;
  /** `generated always as identity` or a generated column: never written by an insert. */
  readonly generated: boolean;
  readonly enumValues: readonly string[];
}

export interface Relation extends QualifiedName {
  /** `r` table, `v` view, `m` materialized view, `f` foreign table, `p` partitioned table. */
  readonly kind: string;
  readonly columns: ReadonlyMap<string, Column>;
  readonly columnList: readonly Column[];
  /** Primary key columns, in key order; empty for views without a traced key. */
  readonly primaryKey: readonly string[];
  readonly insertable: boolean;
  readonly updatable: boolean;
  readonly deletable: boolean;
}

export type Cardinality = "many-to-one" | "one-to-many" | "one-to-one" | "many-to-many";

/** A junction table between two relations (M2M). */
export interface Junction {
  readonly table: QualifiedName;
  /** FK from the junction to the source: pairs of (source column, junction column). */
  readonly sourceConstraint: string;
  readonly sourceColumns: readonly (readonly [string, string])[];
  /** FK from the junction to the target: pairs of (junction column, target column). */
  readonly targetConstraint: string;
  readonly targetColumns: readonly (readonly [string, string])[];
}

/**
 * How `source` embeds `target`. `columns` pair source columns with target columns. A computed
 * relationship has a `function` instead (taking the source's row, returning the target's rows),
 * no columns and no constraint.
 */
export interface Relationship {
  readonly source: QualifiedName;
  readonly target: QualifiedName;
  readonly cardinality: Cardinality;
  readonly constraint: string;
  readonly columns: readonly (readonly [string, string])[];
  readonly junction: Junction | null;
  readonly function?: QualifiedName;
}

export interface RoutineParam {
  readonly name: string;
  readonly type: string;
  readonly baseType: string;
  readonly hasDefault: boolean;
  readonly variadic: boolean;
}

/** What a routine returns, the way the response is shaped from it. */
export type ReturnShape =
  | { readonly kind: "void" }
  | { readonly kind: "scalar"; readonly type: string }
  | {
      readonly kind: "composite";
      readonly relation: QualifiedName | null;
      readonly columns: readonly Column[];
    }
  | { readonly kind: "record" };

export interface Routine extends QualifiedName {
  readonly params: readonly RoutineParam[];
  readonly returns: ReturnShape;
  readonly setof: boolean;
  /** `v` volatile, `s` stable, `i` immutable. */
  readonly volatility: string;
}

/** Settings PostgREST reads from `ALTER ROLE authenticator SET pgrst.<key>`. */
export interface InDatabaseConfig {
  readonly aggregatesEnabled: boolean;
  /** `db-plan-enabled`: EXPLAIN output for `Accept: application/vnd.pgrst.plan`. */
  readonly planEnabled: boolean;
  readonly preRequest: string | null;
  readonly txEnd: "commit" | "commit-allow-override" | "rollback" | "rollback-allow-override";
  readonly maxRows: number | null;
}

/** Everything the data API knows about the exposed schemas. */
export interface SchemaCache {
  /** Key: `schema.name` via {@link qualifiedKey}. */
  readonly relations: ReadonlyMap<string, Relation>;
  /** Relationships keyed by the source relation's qualified key. */
  readonly relationships: ReadonlyMap<string, readonly Relationship[]>;
  /** Overloads keyed by the routine's qualified key. */
  readonly routines: ReadonlyMap<string, readonly Routine[]>;
  /** Type names a select cast may name (`int`, `text`, `public.my_type`...). */
  readonly typeNames: ReadonlySet<string>;
  /** Each API role's own `ALTER ROLE ... SET` settings, applied before `role`. */
  readonly roleSettings: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Time zone names `Prefer: timezone=` accepts. */
  readonly timezones: ReadonlySet<string>;
  readonly dbConfig: InDatabaseConfig;
  /** Increases on every reload; part of the prepared-statement names. */
  readonly generation: number;
}

/** The map key of a schema-qualified name (NUL cannot occur in either part). */
export function qualifiedKey(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}
