import Fastify, { type FastifyInstance, type FastifyPluginAsync, LogController } from "fastify";
import type { DestinationStream } from "pino";
import type { Config } from "../config/index.js";
import { attachTenantScopes } from "../db/caller-scope.js";
import { Listener, type ListenerState } from "../db/listener.js";
import type { Database } from "../db/pool.js";
import { registerPoolMetrics } from "../db/pool-metrics.js";
import { TenantScopeCache } from "../db/tenant-scope.js";
import { Metrics } from "../metrics/index.js";
import type { Running, Service, ServiceDeps } from "../services/service.js";
import { isLoopback } from "./addresses.js";
import { createLogger } from "./logger.js";
import { registerCaller } from "./plugins/caller.js";
import { registerCors } from "./plugins/cors.js";
import { registerRequestMetrics } from "./plugins/metrics.js";
import { registerRequestId, requestIdFrom } from "./plugins/request-id.js";
import { registerRequestLog } from "./plugins/request-log.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerMetricsRoute } from "./routes/metrics.js";
import { SERVICES } from "./services.js";

export interface ServerOptions {
  readonly config: Config;
  readonly db: Database;
  /** Set false in tests to keep output quiet; defaults to the configured log level. */
  readonly logLevel?: Config["logLevel"];
  /** Where log lines go; default stdout (`start --detach`: a rotating file; tests: a capture). */
  readonly logDestination?: DestinationStream;
  /** The services to mount and start; default {@link SERVICES} (tests add their own). */
  readonly services?: readonly Service[];
}

/**
 * Assembles the API server. The plugin order and the route table read top to bottom here:
 * request id -> request log -> CORS -> caller (apikey/JWT -> context) -> metrics -> health, /metrics -> each
 * service under its prefix -> each service's background work. The server owns what every
 * service shares (ServiceDeps): the LISTEN connection, the tenant scope cache (attached to the API
 * pool, so every withContext carries the caller's scope) and the metrics registry.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const app = Fastify({
    loggerInstance: createLogger(options.logLevel ?? config.logLevel, options.logDestination),
    genReqId: (request) => requestIdFrom(request.headers["x-request-id"]),
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For only from the configured proxies: from anyone else it would let a client
    // pick its own address (a fresh sign-in rate-limit bucket, a false address in the audit log).
    trustProxy: config.api.trustedProxies.length > 0 ? [...config.api.trustedProxies] : false,
    return503OnClosing: true,
    // One line per request instead of Fastify's two (registerRequestLog).
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: "idle",
  });

  closeConnectionsOnShutdown(app);

  const metrics = new Metrics();
  const listenerState = metrics.gauge(
    "groundwork_listener_up",
    "1 while the LISTEN connection (schema and tenant scope notifications) is listening, else 0",
  );
  const listener = new Listener({
    pool: db.admin,
    log: (message) => app.log.warn(message),
    onState: (state: ListenerState) => listenerState.set(state === "listening" ? 1 : 0),
  });
  // The tenant scopes of recent callers (membership role, owned keys), so that protected tables
  // do not cost a membership lookup per statement; see src/db/tenant-scope.ts.
  const scopes = new TenantScopeCache({
    admin: db.admin,
    listener,
    metrics,
    log: (message) => app.log.warn(message),
  });
  const detachScopes = attachTenantScopes(db.api, scopes);
  registerPoolMetrics(metrics, db);
  const running: Running[] = [];
  app.addHook("onClose", async () => {
    await Promise.all(running.map((work) => work.stop()));
    detachScopes();
    await scopes.close();
    await listener.close();
  });
  try {
    await listener.start();
    await assemble(app, options, { scopes, listener, metrics }, running);
  } catch (error) {
    await app.close().catch(() => {});
    throw error;
  }
  return app;
}

/** Plugins, routes and services, in order; the background work started goes into `running`. */
async function assemble(
  app: FastifyInstance,
  options: ServerOptions,
  shared: Pick<ServiceDeps, "scopes" | "listener" | "metrics">,
  running: Running[],
): Promise<void> {
  const { config, db } = options;
  const { metrics } = shared;
  registerRequestId(app);
  registerRequestLog(app);
  await registerCors(app);
  registerCaller(app, config.jwt);
  registerRequestMetrics(app, metrics);
  registerHealthRoutes(app, db);
  registerMetricsRoute(app, metrics, config.metrics);

  const services = options.services ?? SERVICES;
  // One deps object per service, given to both register and start (a service may key state by it).
  const deps = new Map<Service, ServiceDeps>(
    services.map((service) => [
      service,
      { config, db, ...shared, log: app.log.child({ service: service.name }) },
    ]),
  );
  const depsOf = (service: Service): ServiceDeps => deps.get(service) as ServiceDeps;
  for (const service of services) {
    if (service.register) await app.register(asPlugin(service, depsOf(service)), { prefix: service.prefix });
  }
  // Started together; what did start is stopped on close even when another start failed.
  const started = await Promise.allSettled(services.map(async (service) => service.start?.(depsOf(service))));
  for (const outcome of started)
    if (outcome.status === "fulfilled" && outcome.value) running.push(outcome.value);
  const failed = started.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
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
    await service.register?.(scope, deps);
  };
}

/** How long requests under way at shutdown may take before their connections are cut. */
const SHUTDOWN_GRACE_MS = 5_000;
/** How often connections that went idle during shutdown are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * Lets a close finish once the requests under way are answered, and not much later. Idle
 * keep-alive connections are closed when the close starts (`forceCloseConnections: "idle"`) and as
 * they go idle; a request still under way after the grace period (a client that stopped sending
 * its body, say, which Node would wait for up to its 5-minute request timeout) is cut.
 */
function closeConnectionsOnShutdown(app: FastifyInstance): void {
  app.addHook("preClose", (done) => {
    const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    sweep.unref();
    deadline.unref();
    app.server.once("close", () => {
      clearInterval(sweep);
      clearTimeout(deadline);
    });
    done();
  });
}
