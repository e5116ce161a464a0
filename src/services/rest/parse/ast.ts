/**
 * The parsed query string (reference/postgrest.md §2-§5), before it is resolved against the
 * schema cache. Values stay strings: every one of them becomes a bound parameter.
 */

/** `->` (json) or `->>` (text), with a key or an integer index. */
export interface JsonStep {
  readonly arrow: "->" | "->>";
  readonly key: string | number;
}

/** A column with an optional JSON path: `data->a->>b`. */
export interface Field {
  readonly name: string;
  readonly json: readonly JsonStep[];
}

export type AggregateFunction = "count" | "sum" | "avg" | "max" | "min";

export type SelectItem =
  | { readonly kind: "star" }
  | {
      readonly kind: "field";
      readonly field: Field;
      readonly alias: string | null;
      readonly cast: string | null;
      readonly aggregate: AggregateFunction | null;
      /** Cast applied to the aggregate's result: `amount.sum()::text`. */
      readonly aggregateCast: string | null;
    }
  /** Bare `count()`: `count(*)`. */
  | { readonly kind: "count"; readonly alias: string | null; readonly cast: string | null }
  | {
      readonly kind: "embed";
      readonly relation: string;
      readonly alias: string | null;
      readonly hint: string | null;
      readonly join: "inner" | "left" | null;
      readonly spread: boolean;
      readonly select: readonly SelectItem[];
    };

export type SimpleOperator =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "match"
  | "imatch"
  | "isdistinct"
  | "cs"
  | "cd"
  | "ov"
  | "sl"
  | "sr"
  | "nxr"
  | "nxl"
  | "adj";

export type FtsOperator = "fts" | "plfts" | "phfts" | "wfts";

export type Operation =
  | {
      readonly kind: "simple";
      readonly operator: SimpleOperator;
      readonly quantifier: "any" | "all" | null;
      readonly value: string;
    }
  | { readonly kind: "in"; readonly values: readonly string[] }
  | { readonly kind: "is"; readonly value: "null" | "not_null" | "true" | "false" | "unknown" }
  | {
      readonly kind: "fts";
      readonly operator: FtsOperator;
      readonly config: string | null;
      readonly value: string;
    };

export interface OpExpr {
  readonly negated: boolean;
  readonly operation: Operation;
}

export interface Filter {
  readonly field: Field;
  readonly expr: OpExpr;
}

export type LogicTree =
  | {
      readonly kind: "expr";
      readonly negated: boolean;
      readonly operator: "and" | "or";
      readonly children: readonly LogicTree[];
    }
  | { readonly kind: "filter"; readonly filter: Filter };

export interface OrderTerm {
  /** Set for `rel(col)`: order by a to-one embed's column. */
  readonly relation: string | null;
  readonly field: Field;
  readonly direction: "asc" | "desc" | null;
  readonly nulls: "first" | "last" | null;
}

/** Everything addressed to one embed level; the root is the empty path. */
export interface LevelParams {
  filters: Filter[];
  logic: LogicTree[];
  order: OrderTerm[] | null;
  limit: number | null;
  offset: number | null;
}

/** The whole query string, partitioned as PostgREST partitions it. */
export interface QueryParams {
  readonly select: readonly SelectItem[];
  /** Keyed by the embed path joined with "." ("" is the root). */
  readonly levels: ReadonlyMap<string, LevelParams>;
  /** `columns=` for inserts, or null. */
  readonly columns: readonly string[] | null;
  /** `on_conflict=` for upserts, or null. */
  readonly onConflict: readonly string[] | null;
  /** RPC GET only: parameters that are not filters, in order (repeats kept). */
  readonly rpcArgs: readonly (readonly [string, string])[];
  /** `key=value` pairs sorted by key, for Content-Location. */
  readonly canonical: string;
}
