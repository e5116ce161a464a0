/**
 * Glossary
 * - declaration: what `groundwork.protect()` recorded for one table (groundwork.protected_tables),
 *   or the same shape written in a matrix file for hand-written policies.
 * - rights: per tenant role (memberships.role), a scope per command.
 * - scope: `tenant` (every row of the caller's active tenant), `own` (rows whose owner column is
 *   the caller), `none`.
 * - owner mode: a table whose rows belong to users (it has an owner column); tenant mode: rows
 *   belong to the tenant only (no owner column).
 * - row kind: which fixture row a cell aims at, seen from the impersonated user: `own` (theirs),
 *   `tenant` (a colleague's, or the tenant's in tenant mode), `other` (another tenant's).
 * - probe: what a cell does to that row: `select`, `list` (count the visible rows), `insert` (a new
 *   row of that kind), `update` (a no-op write), `move` (set the tenant column to another tenant),
 *   `reassign` (set the owner column to someone else), `delete`.
 * - cell: one role x table x probe x kind, with the outcome expected from the rights and the one
 *   observed against the database.
 */

/** A scope of rights. */
export type Scope = "tenant" | "own" | "none";

/** The four SQL commands rights are given for. */
export type Command = "select" | "insert" | "update" | "delete";

/** Normalised rights: every role has a scope for every command. */
export type Rights = Readonly<Record<string, Readonly<Record<Command, Scope>>>>;

/** One table's declaration. */
export interface TableSpec {
  /** Qualified table name as regclass prints it with an empty search_path (`public.contacts`). */
  readonly table: string;
  readonly tenantColumn: string;
  readonly ownerColumn: string | null;
  /** Set when the owner column references a people table (`public.sales`) rather than auth.users. */
  readonly owner: OwnerTable | null;
  readonly rights: Rights;
  /** Column values for the rows the runner creates, as text (cast to the column type). */
  readonly fixtureValues: Readonly<Record<string, string>>;
  /** Where the declaration came from (`declaration` or the matrix file's path). */
  readonly source: string;
}

/** A people table that owner columns point at, e.g. public.sales (id, user_id, tenant_id). */
export interface OwnerTable {
  readonly table: string;
  readonly keyColumn: string;
  readonly userColumn: string;
  readonly tenantColumn: string | null;
}

export type Probe = "select" | "list" | "insert" | "update" | "move" | "reassign" | "delete";
export type RowKind = "own" | "tenant" | "other";

/** What a cell should observe: allowed or denied, or for `list` how many rows are visible. */
export type Expectation =
  | { readonly kind: "allowed" }
  | { readonly kind: "denied" }
  | { readonly kind: "rows"; readonly count: number };

/** What a cell observed. */
export interface Observation {
  readonly outcome: "allowed" | "denied" | "error";
  /** How: `visible`, `1 row`, `0 rows (silent)`, `42501 row-level security`, `42501 permission denied`... */
  readonly how: string;
  /** Rows visible, for `list`. */
  readonly rows?: number;
  /** SQLSTATE of the error, if the statement failed. */
  readonly code?: string;
  readonly message?: string;
}

export interface Cell {
  readonly table: string;
  /** A tenant role, or `anon`. */
  readonly role: string;
  readonly probe: Probe;
  /** Null for `list` and for anon's probes, which aim at no particular kind. */
  readonly kind: RowKind | null;
  readonly expected: Expectation;
  readonly observed: Observation;
  readonly pass: boolean;
  /** For a failing cell: what is wrong, and likely causes found in the table's policies. */
  readonly problem?: string;
  readonly causes?: readonly string[];
}

export interface MatrixResult {
  readonly tables: readonly TableSpec[];
  readonly roles: readonly string[];
  readonly cells: readonly Cell[];
  readonly warnings: readonly string[];
  readonly durationMs: number;
}
