import { randomUUID } from "node:crypto";
import type pg from "pg";
import { type RequestContext, withContext } from "../../db/context.js";

/** What RLS on `realtime.messages` lets a caller do on one private channel topic. */
export interface ChannelPolicies {
  readonly broadcast: { readonly read: boolean; readonly write: boolean };
  readonly presence: { readonly read: boolean; readonly write: boolean };
}

const EXTENSIONS = ["broadcast", "presence"] as const;

/**
 * Asks the database, as the caller, what the `realtime.messages` policies allow on `topic`, the
 * way Supabase does (lib/realtime/tenants/authorization.ex): with `realtime.topic` set, probe rows
 * inserted by the privileged side are read back under the caller's SELECT policies (read), and a
 * row inserted as the caller passes its INSERT policies (write). Everything is rolled back.
 */
export async function channelPolicies(
  pool: pg.Pool,
  ctx: RequestContext,
  topic: string,
): Promise<ChannelPolicies> {
  return withContext(
    pool,
    ctx,
    async (client, control) => {
      control.rollback();
      // The read probes are written as service_role (which the API login may become, and which
      // bypasses RLS) so that only the caller's SELECT policies decide whether they come back.
      const ids = EXTENSIONS.map(() => randomUUID());
      await client.query("select set_config('role', 'service_role', true)");
      await client.query(
        "insert into realtime.messages (id, topic, extension) select unnest($1::uuid[]), $2, unnest($3::text[])",
        [ids, topic, EXTENSIONS],
      );
      await client.query("select set_config('role', $1, true)", [ctx.role]);
      const { rows } = await client.query<{ id: string }>(
        "select id::text from realtime.messages where id = any($1::uuid[])",
        [ids],
      );
      const visible = new Set(rows.map((row) => row.id));
      const write: Record<string, boolean> = {};
      for (const extension of EXTENSIONS) {
        await client.query("savepoint probe");
        try {
          await client.query("insert into realtime.messages (topic, extension) values ($1, $2)", [
            topic,
            extension,
          ]);
          write[extension] = true;
        } catch (error) {
          if ((error as { code?: string }).code !== "42501") throw error;
          write[extension] = false;
        }
        await client.query("rollback to savepoint probe");
      }
      return {
        broadcast: { read: visible.has(ids[0] ?? ""), write: write.broadcast === true },
        presence: { read: visible.has(ids[1] ?? ""), write: write.presence === true },
      };
    },
    { settings: { "realtime.topic": topic } },
  );
}

/** Whether the caller may publish a broadcast on a private topic (the HTTP endpoint's check). */
export async function mayBroadcast(pool: pg.Pool, ctx: RequestContext, topic: string): Promise<boolean> {
  return (await channelPolicies(pool, ctx, topic)).broadcast.write;
}
