import type { AddressInfo } from "node:net";
import type { Service } from "../service.js";
import { routeUpgrades } from "../upgrade-routes.js";
import { functionLogSink } from "./function-logs.js";
import { functionMetrics } from "./function-metrics.js";
import { registerFunctionRoutes } from "./routes.js";
import { functionUpgrades } from "./upgrade.js";
import { FunctionWorkers } from "./workers.js";

/**
 * Edge functions: `supabase/functions/<name>` run on the real Deno runtime, one supervised
 * worker process per function, started on the function's first request and stopped with the
 * server.
 */
export const functionsService: Service = {
  name: "functions",
  prefix: "/functions/v1",
  register(scope, deps) {
    const { config, db } = deps;
    const metrics = functionMetrics(deps.metrics);
    const workers = new FunctionWorkers({
      config,
      addresses: () => ({
        apiUrl: ownUrl(scope.server.address()),
        dbUrl: db.admin.options.connectionString ?? "",
      }),
      onLog: functionLogSink(deps.log, config.edgeRuntime.consoleLogs),
      onBoot: (name, seconds, ok) => {
        metrics.boots.inc({ function: name, outcome: ok ? "ok" : "boot_error" });
        if (ok) metrics.bootSeconds.observe({ function: name }, seconds);
      },
    });
    const upgrades = functionUpgrades({
      config,
      workers,
      metrics,
      onError: (name, message) => deps.log.error({ function: name }, message),
    });
    const removeUpgrades = routeUpgrades(scope.server, upgrades.handler);
    // Open WebSockets end before the HTTP server waits for its connections to close.
    scope.addHook("preClose", async () => {
      removeUpgrades();
      upgrades.close();
    });
    scope.addHook("onClose", async () => {
      await workers.close();
    });

    registerFunctionRoutes(scope, config, workers, metrics);
  },
};

/** The server's URL as a worker on the same machine reaches it. */
function ownUrl(address: AddressInfo | string | null): string {
  if (address === null || typeof address === "string") return "http://127.0.0.1:54321";
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}
