import type { FastifyRequest } from "fastify";
import type pg from "pg";
import { type RequestContext, withContext } from "../../db/context.js";
import { requireContext } from "../../request/caller.js";
import type { Operation, StorageDeps } from "./types.js";

/**
 * Runs `fn` as the request's caller under RLS, with the settings Supabase Storage adds for
 * policies: `storage.operation` and `storage.allow_delete_query` (reference/storage.md §6).
 * `rollback` makes it a probe: the writes are checked by the policies, then undone. `settings` adds
 * transaction-local settings (the trash retention of a remove).
 */
export async function asCaller<T>(
  deps: StorageDeps,
  request: FastifyRequest,
  operation: Operation,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { rollback?: boolean; readOnly?: boolean; settings?: Readonly<Record<string, string>> } = {},
): Promise<T> {
  const ctx = requireContext(request);
  await deps.looseBlobs.ready();
  return withContext(
    deps.db.api,
    ctx,
    (client, control) => {
      if (options.rollback) control.rollback();
      return fn(client);
    },
    {
      readOnly: options.readOnly,
      settings: {
        "storage.operation": operation,
        "storage.allow_delete_query": "true",
        "storage.groundwork_server_lock": deps.looseBlobs.lockKey,
        ...options.settings,
      },
    },
  );
}

/** The caller's `sub` (the owner of what they upload), or null for anon and API keys. */
export function callerSub(request: FastifyRequest): string | null {
  const ctx: RequestContext = requireContext(request);
  return typeof ctx.claims.sub === "string" && ctx.claims.sub !== "" ? ctx.claims.sub : null;
}

/**
 * Runs `fn` in a transaction on the platform pool (no RLS): the writes Supabase Storage makes as
 * superuser once the caller's rights were checked, with deletes allowed. `lockKey` takes the
 * key's writer lock (see sql/objects.ts `lockKey`) in the same round trip as BEGIN.
 */
export async function asPlatform<T>(
  deps: StorageDeps,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { lockKey?: { bucket: string; name: string } } = {},
): Promise<T> {
  await deps.looseBlobs.ready();
  const client = await deps.db.admin.connect();
  let broken: Error | undefined;
  try {
    // One round trip: a multi-statement simple query cannot bind parameters, so the values are
    // inlined as literals (escapeLiteral makes that safe).
    const settings = [
      "set_config('storage.allow_delete_query', 'true', true)",
      `set_config('storage.groundwork_server_lock', ${client.escapeLiteral(deps.looseBlobs.lockKey)}, true)`,
    ];
    if (options.lockKey) {
      const key = `${options.lockKey.bucket}/${options.lockKey.name}`;
      settings.push(`pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(key)}, 0))`);
    }
    await client.query(`begin; select ${settings.join(", ")}`);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
