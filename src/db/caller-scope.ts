import type pg from "pg";
import type { RequestContext } from "./context.js";
import type { TenantScope } from "./tenant-scope.js";

/** Where a caller's tenant scope comes from: the server's TenantScopeCache. */
export interface TenantScopeSource {
  scopeFor(ctx: RequestContext): Promise<TenantScope | undefined>;
}

/** The scope source of each API pool, set by the server that owns the pool. */
const sources = new WeakMap<pg.Pool, TenantScopeSource>();

/**
 * Makes every {@link withContext} and pipelinedRead on `pool` carry the caller's tenant scope from
 * `source`, whichever service calls them: the server does this once for its API pool, so storage,
 * realtime or any later service runs its SQL with exactly the settings the data API does. Returns
 * a function that undoes it (when the server closes).
 */
export function attachTenantScopes(pool: pg.Pool, source: TenantScopeSource): () => void {
  sources.set(pool, source);
  return () => {
    if (sources.get(pool) === source) sources.delete(pool);
  };
}

/**
 * `ctx` with its tenant scope, when `pool` has a source and the source has a scope for the caller;
 * `ctx` itself otherwise (the tenancy helpers then look the scope up in SQL, as they always can).
 * A scope already in `ctx` is kept.
 */
export async function withTenantScope(pool: pg.Pool, ctx: RequestContext): Promise<RequestContext> {
  if (ctx.tenantScope !== undefined) return ctx;
  const source = sources.get(pool);
  if (source === undefined) return ctx;
  const scope = await source.scopeFor(ctx);
  return scope === undefined ? ctx : { ...ctx, tenantScope: scope };
}
