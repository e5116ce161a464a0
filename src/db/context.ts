import type pg from "pg";
import { withTenantScope } from "./caller-scope.js";
import { quoteIdent } from "./sql.js";
import type { TenantScope } from "./tenant-scope.js";

/**
 * Who is calling and how, as the HTTP layer established it from the `apikey` header and the
 * `Authorization: Bearer` token. Every service runs the caller's SQL with this through
 * {@link withContext}; no service sets `role` itself.
 */
export interface RequestContext {
  /** Database role the request runs as: `anon`, `authenticated`, `service_role` or a custom one. */
  readonly role: string;
  /** The verified JWT claims, with `role` set to {@link role}; `{role: "anon"}` without a token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * The raw bearer token that produced the claims, or null. For an opaque API key, the legacy
   * API key (JWT) of its role, as the Supabase CLI's gateway passes on.
   */
  readonly token: string | null;
  /** Set when the role came from an opaque `sb_publishable_…`/`sb_secret_…` API key. */
  readonly apiKey?: "publishable" | "secret";
  /** Request headers, names lower-cased, without `cookie`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: Readonly<Record<string, string>>;
  readonly method: string;
  /** Path as the service sees it (PostgREST: `/todos`, without `/rest/v1`). */
  readonly path: string;
  readonly requestId: string;
  /**
   * The caller's membership role and owned keys in the claimed tenant. Left out by callers:
   * {@link withContext} and pipelinedRead fill it in from the server's TenantScopeCache (see
   * attachTenantScopes); absent when there is none, and the tenancy helpers then look it up in SQL.
   */
  readonly tenantScope?: TenantScope;
}

export interface TransactionOptions {
  /** `READ ONLY` transaction (GET/HEAD, calls to STABLE/IMMUTABLE functions). */
  readonly readOnly?: boolean;
  /** Schemas for `search_path`, in order; default: left as the role has it. */
  readonly searchPath?: readonly string[];
  /**
   * The impersonated role's own `ALTER ROLE ... SET` settings (e.g. `statement_timeout`), set
   * before `role` as PostgREST does, so `GRANT SET ON PARAMETER ... TO authenticator` suffices.
   */
  readonly roleSettings?: Readonly<Record<string, string>>;
  /** More transaction-local settings, set after the standard ones (e.g. `storage.operation`). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Lets the body of a transaction ask for it to be rolled back instead of committed. */
export interface TransactionControl {
  rollback(): void;
}

/**
 * Runs `fn` as the caller: one transaction on a pooled `authenticator` connection, opened with the
 * transaction-local settings PostgREST makes (search_path, role, request.jwt.claims,
 * request.method, request.path, request.headers, request.cookies) plus the legacy
 * `request.jwt.claim.sub`/`.role` that older policies and Storage read. Everything is reset at
 * the end of the transaction, so a pooled connection carries nothing to the next request.
 * The caller's tenant scope is attached here (from the TenantScopeCache the server attached to
 * `pool`), so every service's SQL sees the rows the data API's does.
 *
 * @example
 * const rows = await withContext(db.api, ctx, (client) => client.query("select * from todos"));
 */
export async function withContext<T>(
  pool: pg.Pool,
  ctx: RequestContext,
  fn: (client: pg.PoolClient, control: TransactionControl) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const scoped = await withTenantScope(pool, ctx);
  const client = await pool.connect();
  let rollback = false;
  let broken: Error | undefined;
  try {
    // BEGIN and every setting in one round trip. The values are inlined as E'' literals because a
    // multi-statement simple query cannot bind parameters; escapeLiteral makes that safe.
    await client.query(`${beginStatement(options)}; ${contextSettingsStatement(scoped, options)}`);
    const result = await fn(client, { rollback: () => (rollback = true) });
    await client.query(rollback ? "rollback" : "commit");
    return result;
  } catch (error) {
    try {
      await client.query("rollback");
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

function beginStatement(options: TransactionOptions): string {
  return `begin isolation level read committed ${options.readOnly ? "read only" : "read write"}`;
}

/**
 * The `select set_config(...)` statement that makes the current transaction run as `ctx`: the
 * settings {@link withContext} opens every request with. Exported for the one other place that
 * must impersonate exactly as the data API does: `groundwork test rls`, which runs each cell of
 * its matrix in a savepoint of one transaction.
 */
export function contextSettingsStatement(ctx: RequestContext, options: TransactionOptions = {}): string {
  const calls = contextSettings(ctx, options).map(
    ([name, value]) => `set_config(${escapeLiteral(name)}, ${escapeLiteral(value)}, true)`,
  );
  return `select ${calls.join(", ")}`;
}

/**
 * The same settings as a parameterised statement: its text depends only on which settings are
 * made, not on their values, so a connection can prepare it once and bind each request's values
 * (parsing the literal form costs PostgreSQL more than the rest of a primary-key read).
 */
export function preparedSettingsStatement(
  ctx: RequestContext,
  options: TransactionOptions = {},
): { text: string; values: string[] } {
  const settings = contextSettings(ctx, options);
  const calls = settings.map(([name], i) => `set_config(${escapeLiteral(name)}, $${i + 1}, true)`);
  return { text: `select ${calls.join(", ")}`, values: settings.map(([, value]) => value) };
}

/** The settings a request runs with, as (name, value) pairs in the order they are made. */
export function contextSettings(ctx: RequestContext, options: TransactionOptions = {}): [string, string][] {
  const settings: [string, string][] = [];
  if (options.searchPath) settings.push(["search_path", options.searchPath.map(quoteIdent).join(", ")]);
  for (const [name, value] of Object.entries(options.roleSettings ?? {})) settings.push([name, value]);
  settings.push(
    ["role", ctx.role],
    ["request.jwt.claims", JSON.stringify(ctx.claims)],
    ["request.method", ctx.method],
    ["request.path", ctx.path],
    ["request.headers", JSON.stringify(ctx.headers)],
    ["request.cookies", JSON.stringify(ctx.cookies)],
    ["request.jwt.claim.sub", typeof ctx.claims.sub === "string" ? ctx.claims.sub : ""],
    ["request.jwt.claim.role", ctx.role],
    // Groundwork's own: the id the server gave this request (echoed as x-request-id), so
    // triggers such as the audit log can record it even when the client sent none.
    ["request.id", ctx.requestId],
    // And the token's tenant claim, read once here so that the tenancy helpers policies call
    // need not parse the claims JSON again on every call (groundwork.claimed_tenant_id()).
    ["request.tenant_id", claimedTenantId(ctx.claims)],
  );
  const scope = ctx.tenantScope;
  if (scope !== undefined) {
    // What groundwork.active_role() and the owned_<table>_ids() helpers read instead of looking
    // the membership and the owned rows up on every statement.
    settings.push(["request.membership_checked", "on"], ["request.tenant_role", scope.role ?? ""]);
    for (const [helper, keys] of Object.entries(scope.owned)) {
      settings.push([`request.${helper}`, `{${keys.join(",")}}`]);
    }
  }
  for (const [name, value] of Object.entries(options.settings ?? {})) settings.push([name, value]);
  for (const [, value] of settings) {
    if (value.includes("\u0000")) throw new NulSettingError();
  }
  return settings;
}

/**
 * A claim or header that would become a setting holds a NUL character, which PostgreSQL cannot
 * store in text. It carries the SQLSTATE and wording PostgreSQL itself gives such a value, so each
 * service renders it as the client error it is (the data API: 400, as PostgREST answers class 22).
 */
export class NulSettingError extends Error {
  readonly code = "22021";
  readonly severity = "ERROR";
  constructor() {
    super('invalid byte sequence for encoding "UTF8": 0x00');
    this.name = "NulSettingError";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * The claims' `app_metadata.tenant_id` when it is a well-formed uuid, else the nil uuid (no
 * tenant): the same test groundwork.claimed_tenant_from_token() makes when the setting is absent.
 */
export function claimedTenantId(claims: RequestContext["claims"]): string {
  const appMetadata = claims.app_metadata;
  const claim =
    typeof appMetadata === "object" && appMetadata !== null
      ? (appMetadata as Record<string, unknown>).tenant_id
      : undefined;
  return typeof claim === "string" && UUID.test(claim) ? claim : NIL_UUID;
}

/**
 * A string literal that is safe whatever `standard_conforming_strings` is: the E'' form with
 * backslashes and quotes escaped.
 */
export function escapeLiteral(value: string): string {
  if (value.includes("\u0000")) throw new Error("a setting value contains a NUL character");
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}
