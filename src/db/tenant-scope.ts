import type pg from "pg";
import type { Counter } from "prom-client";
import type { Metrics } from "../metrics/index.js";
import { claimedTenantId, type RequestContext } from "./context.js";
import { Listener, type Subscription } from "./listener.js";

/**
 * What the tenancy helpers would look up for a caller in the tenant their token claims: the role
 * of their membership there and, per owner helper (`owned_sales_ids`...), their keys in its owner
 * table. The data API passes it with each request (see {@link TenantScopeCache}), so that the
 * policies groundwork.protect() writes read it instead of looking it up on every statement.
 */
export interface TenantScope {
  /** memberships.role in the claimed tenant, or null when the caller is not a member of it. */
  readonly role: string | null;
  /** Owner helper name -> the caller's keys in its owner table. */
  readonly owned: Readonly<Record<string, readonly string[]>>;
}

export const SCOPE_CHANNEL = "groundwork_scope";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";
/** Helper names that can be part of a setting's name (groundwork.create_owner_helper's rule). */
const HELPER_NAME = /^[a-z_][a-z0-9_]*$/;

/** The caller's user id and claimed tenant when a scope applies to them: a uuid `sub`, not anon. */
export function scopeKey(ctx: RequestContext): { user: string; tenant: string | null } | null {
  const sub = ctx.claims.sub;
  if (ctx.role === "anon" || typeof sub !== "string" || !UUID.test(sub)) return null;
  const tenant = claimedTenantId(ctx.claims).toLowerCase();
  return { user: sub.toLowerCase(), tenant: tenant === NIL_UUID ? null : tenant };
}

/** Reads a caller's scope from the database (groundwork.caller_scope), on `client`'s snapshot. */
export async function readTenantScope(
  client: pg.ClientBase | pg.Pool,
  user: string,
  tenant: string | null,
): Promise<TenantScope> {
  const result = await client.query<{ scope: { role: string | null; owned: Record<string, string[]> } }>(
    "select groundwork.caller_scope($1, $2) as scope",
    [user, tenant],
  );
  const scope = result.rows[0]?.scope;
  const owned: Record<string, readonly string[]> = {};
  for (const [helper, keys] of Object.entries(scope?.owned ?? {})) {
    if (HELPER_NAME.test(helper)) owned[helper] = keys;
  }
  return { role: scope?.role ?? null, owned };
}

export interface TenantScopeCacheOptions {
  /** The platform pool: the lookups (and the options of a LISTEN connection of its own). */
  readonly admin: pg.Pool;
  /** The process's shared LISTEN connection; without one, the cache opens its own. */
  readonly listener?: Listener;
  /** Where hits and misses are counted. */
  readonly metrics?: Metrics;
  /** Callers kept at most; the oldest is dropped first. */
  readonly maxUsers?: number;
  /**
   * How long an entry is trusted without a notification. Notifications drop entries at once; this
   * bounds staleness when a change could not notify (triggers disabled during a bulk load).
   */
  readonly ttlMs?: number;
  readonly log?: (message: string) => void;
}

interface Entry {
  readonly scope: TenantScope;
  readonly expires: number;
}

/**
 * Keeps the tenant scopes of recent callers in memory, per process, so that a request to a
 * protected table does not pay for a membership lookup and an owner lookup in PostgreSQL (each
 * costs more than the rest of a primary-key read).
 *
 * Freshness: the triggers on groundwork.memberships, on each owner table and on the declarations
 * notify `groundwork_scope` with the user id (or `*`) when they change, and this drops the user's
 * entries as the notification arrives, milliseconds after the commit. A lookup that raced with a
 * notification is used for its own request but not kept (the generation check). While the LISTEN
 * connection is down nothing is cached or served from memory: {@link scopeFor} returns undefined,
 * the request carries no scope, and the helpers look the membership up themselves, as before.
 */
export class TenantScopeCache {
  readonly #options: TenantScopeCacheOptions;
  readonly #users = new Map<string, Map<string, Entry>>();
  /** Lookups under way, shared by the requests of one caller that arrive meanwhile. */
  readonly #pending = new Map<string, { generation: number; scope: Promise<TenantScope> }>();
  #generation = 0;
  #lastError = "";
  #closed = false;
  /** The listener this cache opened itself (none when given the shared one). */
  readonly #ownListener: Listener | null;
  readonly #subscription: Subscription;
  readonly #lookups: Counter<"result"> | undefined;

  constructor(options: TenantScopeCacheOptions) {
    this.#options = options;
    this.#ownListener = options.listener ? null : new Listener({ pool: options.admin, log: options.log });
    const listener = options.listener ?? (this.#ownListener as Listener);
    this.#subscription = listener.subscribe(
      SCOPE_CHANNEL,
      (payload) => this.#forget(payload === "" ? "*" : payload),
      {
        // Changes made while not listening are never heard of: forget everything, keep nothing.
        onLost: () => this.#forget("*"),
        onGap: () => this.#forget("*"),
      },
    );
    this.#lookups = options.metrics?.counter(
      "groundwork_tenant_scope_lookups_total",
      "Tenant scopes asked of the cache: hit (from memory), miss (looked up), bypass (not listening: the helpers look it up)",
      ["result"],
    );
  }

  /** Opens its own LISTEN connection if it has one; until LISTEN is on, every request looks its scope up in SQL. */
  async start(): Promise<void> {
    await this.#ownListener?.start();
  }

  get #listening(): boolean {
    return !this.#closed && this.#subscription.listening;
  }

  /**
   * The scope to pass with `ctx`'s request, or undefined when none applies (anon, no user id) or
   * memory cannot be trusted (not listening): the helpers then look it up themselves.
   */
  async scopeFor(ctx: RequestContext): Promise<TenantScope | undefined> {
    const key = scopeKey(ctx);
    if (key === null) return undefined;
    if (!this.#listening) {
      this.#lookups?.inc({ result: "bypass" });
      return undefined;
    }
    const tenantKey = key.tenant ?? "";
    const kept = this.#users.get(key.user)?.get(tenantKey);
    if (kept !== undefined && kept.expires > Date.now()) {
      this.#lookups?.inc({ result: "hit" });
      return kept.scope;
    }
    this.#lookups?.inc({ result: "miss" });
    const id = `${key.user}/${tenantKey}`;
    const generation = this.#generation;
    // A lookup that started before a notification may predate the change: not shared after it.
    let pending = this.#pending.get(id);
    if (pending === undefined || pending.generation !== generation) {
      pending = { generation, scope: readTenantScope(this.#options.admin, key.user, key.tenant) };
      this.#pending.set(id, pending);
    }
    const lookup = pending;
    let scope: TenantScope;
    try {
      scope = await lookup.scope;
    } catch (error) {
      // Once per distinct failure (a database without groundwork.caller_scope fails every time).
      const message = `tenant scope lookup failed, the helpers look it up instead: ${(error as Error).message}`;
      if (message !== this.#lastError) this.#options.log?.(message);
      this.#lastError = message;
      return undefined;
    } finally {
      if (this.#pending.get(id) === lookup) this.#pending.delete(id);
    }
    // A notification that arrived meanwhile may be about this caller: use, but do not keep.
    if (lookup.generation === this.#generation && this.#listening) this.#keep(key.user, tenantKey, scope);
    return scope;
  }

  /** Callers with something kept (for tests and status). */
  get size(): number {
    return this.#users.size;
  }

  #keep(user: string, tenant: string, scope: TenantScope): void {
    let tenants = this.#users.get(user);
    if (tenants === undefined) {
      const max = this.#options.maxUsers ?? 10_000;
      if (this.#users.size >= max) {
        const oldest = this.#users.keys().next().value;
        if (oldest !== undefined) this.#users.delete(oldest);
      }
      tenants = new Map();
      this.#users.set(user, tenants);
    }
    tenants.set(tenant, { scope, expires: Date.now() + (this.#options.ttlMs ?? 60_000) });
  }

  #forget(payload: string): void {
    this.#generation += 1;
    if (payload === "*") this.#users.clear();
    else this.#users.delete(payload.toLowerCase());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subscription.unsubscribe();
    this.#forget("*");
    await this.#ownListener?.close();
  }
}
