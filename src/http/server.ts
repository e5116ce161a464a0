import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import type { Config } from "../config/index.js";
import type { Database } from "../db/pool.js";
import { startAuditRetention } from "../platform/audit-retention.js";
import type { Service, ServiceDeps } from "../services/service.js";
import { isLoopback } from "./addresses.js";
import { createLogger } from "./logger.js";
import { registerCaller } from "./plugins/caller.js";
import { registerCors } from "./plugins/cors.js";
import { registerRequestId, requestIdFrom } from "./plugins/request-id.js";
import { registerHealthRoutes } from "./routes/health.js";
import { SERVICES } from "./services.js";

export interface ServerOptions {
  readonly config: Config;
  readonly db: Database;
  /** Set false in tests to keep output quiet; defaults to the configured log level. */
  readonly logLevel?: Config["logLevel"];
}

/**
 * Assembles the API server. The plugin order and the route table read top to bottom here:
 * request id -> CORS -> caller (apikey/JWT -> context) -> health -> each service under its prefix.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const app = Fastify({
    loggerInstance: createLogger(options.logLevel ?? config.logLevel),
    genReqId: (request) => requestIdFrom(request.headers["x-request-id"]),
    bodyLimit: 1024 * 1024,
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });

  registerRequestId(app);
  await registerCors(app);
  registerCaller(app, config.jwt);
  registerHealthRoutes(app, db);

  const deps: ServiceDeps = { config, db };
  for (const service of SERVICES) {
    await app.register(asPlugin(service, deps), { prefix: service.prefix });
  }

  // Deletes audit entries past `[audit] retention_days`, hourly (nothing when it is unset).
  const retention = startAuditRetention(db.admin, config.audit.retentionDays, {
    onRun: (run) => {
      if ("error" in run) app.log.warn({ err: run.error }, "audit retention failed");
      else if ("deleted" in run && run.deleted > 0) app.log.info({ deleted: run.deleted }, "audit retention");
    },
  });
  app.addHook("onClose", () => retention.stop());
  return app;
}

/**
 * Listens on the configured address. Refuses the well-known local JWT secret and the CLI's fixed
 * opaque keys anywhere but loopback: with them, anyone can act as service_role.
 */
export async function listen(app: FastifyInstance, config: Config): Promise<string> {
  if (config.jwt.isWellKnownSecret && !isLoopback(config.api.host)) {
    throw new Error(
      `Refusing to listen on ${config.api.host} with the well-known local JWT secret: anyone could sign a ` +
        "service_role token. Set [auth] jwt_secret in supabase/config.toml (or GROUNDWORK_JWT_SECRET) to a " +
        "secret of your own, or bind to 127.0.0.1.",
    );
  }
  if (config.jwt.isWellKnownApiKeys && !isLoopback(config.api.host)) {
    throw new Error(
      `Refusing to listen on ${config.api.host} with the Supabase CLI's fixed local API keys ` +
        "(sb_publishable_ACJW…, sb_secret_N7UN…): anyone could call with the secret key. Run " +
        "`groundwork gen api-keys` and set [auth] publishable_key and secret_key in supabase/config.toml " +
        "(or GROUNDWORK_PUBLISHABLE_KEYS / GROUNDWORK_SECRET_KEYS), or bind to 127.0.0.1.",
    );
  }
  await app.listen({ port: config.api.port, host: config.api.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.api.port;
  const host = config.api.host === "0.0.0.0" || config.api.host === "::" ? "127.0.0.1" : config.api.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function asPlugin(service: Service, deps: ServiceDeps): FastifyPluginAsync {
  return async (scope) => {
    await service.register(scope, deps);
  };
}
