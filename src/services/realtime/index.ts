import type { Listener } from "../../db/listener.js";
import type { Service } from "../service.js";
import { routeUpgrades } from "../upgrade-routes.js";
import { registerBroadcastRoutes } from "./routes/broadcast.js";
import { RealtimeRuntime } from "./runtime.js";
import { upgradeHandler } from "./upgrade.js";

/** Each server's realtime state, found by its LISTEN connection (one per server). */
const runtimes = new WeakMap<Listener, RealtimeRuntime>();

/** How often rows older than Supabase's retention (three days) are deleted from realtime.messages. */
const RETENTION_MS = 60 * 60 * 1000;

/**
 * Supabase Realtime at `/realtime/v1`: the Phoenix channel protocol over WebSocket
 * (`/realtime/v1/websocket`, on the API port), broadcast, presence and postgres_changes from
 * logical replication, authorized by RLS; and the HTTP broadcast endpoints.
 */
export const realtimeService: Service = {
  name: "realtime",
  prefix: "/realtime/v1",
  register(scope, deps) {
    const runtime = new RealtimeRuntime(deps);
    runtimes.set(deps.listener, runtime);
    const removeUpgrades = routeUpgrades(scope.server, upgradeHandler(runtime, "/realtime/v1/websocket"));
    // Sockets are closed before the HTTP server waits for its connections to end.
    scope.addHook("preClose", async () => {
      removeUpgrades();
      await runtime.close();
    });
    registerBroadcastRoutes(scope, runtime);
  },
  start(deps) {
    const runtime = runtimes.get(deps.listener);
    if (!runtime) return undefined;
    const retention = setInterval(() => {
      deps.db.admin
        .query("delete from realtime.messages where inserted_at < now() - interval '3 days'")
        .catch((error: Error) => deps.log.warn({ err: error }, "realtime messages retention failed"));
    }, RETENTION_MS);
    retention.unref();
    return {
      async stop() {
        clearInterval(retention);
        await runtime.close();
      },
    };
  },
};
