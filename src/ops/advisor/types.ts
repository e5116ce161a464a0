/**
 * Glossary
 * - lint: one kind of mistake the advisor looks for (`rls_disabled_in_public`), defined once as
 *   data: its level, why it matters, how to fix it, and the check that finds it.
 * - finding: one occurrence of a lint on one object (a table, a policy, a function, an env file).
 * - finding id: a stable key for a finding (`rls_disabled_in_public_public_notes`), the same on
 *   every run while the object exists; exclusions name findings by it. Splinter calls it cache_key.
 * - exposed schemas: the schemas the data API serves (`[api] schemas`).
 * - client roles: the roles a request without the service key runs as (`anon`, `authenticated`).
 * - tenant table: a table with a `tenant_id` column (the tenancy kit's convention).
 */
import type pg from "pg";
import type { Config } from "../../config/index.js";

export const LEVELS = ["INFO", "WARN", "ERROR"] as const;
export type Level = (typeof LEVELS)[number];

export type Category = "SECURITY" | "PERFORMANCE";

/** What a check returns for each problem it finds; the runner adds the lint's own fields. */
export interface RawFinding {
  /** The object, as a reader would write it: `public.contacts`, `public.f(integer)`, `.env.local`. */
  readonly object: string;
  /** One sentence naming this object and this problem. */
  readonly detail: string;
  /** The finding id (see the glossary). */
  readonly cacheKey: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** What checks may look at besides the database. */
export interface LintContext {
  readonly config: Config;
  /** Schemas the data API serves. */
  readonly exposedSchemas: readonly string[];
  /** Client roles that exist in this database. */
  readonly clientRoles: readonly string[];
}

/**
 * A catalog query. It may use `$1::text[]` (exposed schemas), `$2::text[]` (client roles) and
 * `$3::text[]` (platform schemas to skip), and returns rows of `object`, `detail`, `cache_key` and
 * optionally `metadata` (jsonb). It runs read-only with an empty search_path, so expressions
 * print schema-qualified (`auth.uid()`).
 */
export interface SqlCheck {
  readonly sql: string;
  /** A relation the query reads that may not exist (e.g. `storage.buckets`); skipped without it. */
  readonly requires?: string;
}

/**
 * A check written in TypeScript, for what one catalog query cannot judge well: project files,
 * configuration, or catalog rows that need parsing (it may query through `client`, in the
 * advisor's read-only transaction).
 */
export interface CodeCheck {
  readonly run: (context: LintContext, client: pg.ClientBase) => Promise<readonly RawFinding[]>;
}

/** One lint, as data. Add a lint by writing one of these and listing it in `lints/index.ts`. */
export interface LintDefinition {
  /** snake_case name; splinter's name where splinter has the lint. */
  readonly name: string;
  /** Splinter's number (`0013`) or `GW` for Groundwork's own. */
  readonly code: string;
  readonly level: Level;
  readonly categories: readonly Category[];
  readonly title: string;
  /** Why it matters, in a sentence or two. */
  readonly why: string;
  /** How to fix it, with the SQL or setting where one applies. */
  readonly fix: string;
  /** Further reading. */
  readonly remediation?: string;
  readonly check: SqlCheck | CodeCheck;
}

/** A finding as reported: the raw finding with its lint's level, texts and categories. */
export interface Finding {
  /** The finding id (see the glossary). */
  readonly id: string;
  readonly lint: string;
  readonly code: string;
  readonly level: Level;
  readonly categories: readonly Category[];
  readonly title: string;
  readonly object: string;
  readonly detail: string;
  readonly why: string;
  readonly fix: string;
  readonly remediation: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** `a` is at least as severe as `b`. */
export function atLeast(a: Level, b: Level): boolean {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b);
}
