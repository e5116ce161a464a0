import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import type { Listener } from "../db/listener.js";
import type { Database } from "../db/pool.js";
import type { TenantScopeCache } from "../db/tenant-scope.js";
import type { Metrics } from "../metrics/index.js";

/**
 * What every service gets from the server. One of each per server process, shared by all
 * services:
 * - `config`: the frozen, validated configuration.
 * - `db`: the two pools. User data goes through `withContext(db.api, ctx, fn)` or
 *   `pipelinedRead(db.api, ...)`, which attach the caller's tenant scope from `scopes` themselves.
 * - `scopes`: the tenant scope cache (the caller's membership role and owned keys).
 * - `listener`: the one LISTEN connection; `listener.subscribe(channel, onPayload, { onGap })`.
 * - `metrics`: the Prometheus registry served at `/metrics`; `metrics.counter(name, help, labels)`.
 * - `log`: the server's logger, bound to the service's name.
 */
export interface ServiceDeps {
  readonly config: Config;
  readonly db: Database;
  readonly scopes: TenantScopeCache;
  readonly listener: Listener;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
}

/** Background work a service started; the server stops it when it closes. */
export interface Running {
  /** Stops the work and waits for what is under way to finish. */
  stop(): Promise<void> | void;
}

/**
 * A service, registered as data in src/http/services.ts. It has routes (`prefix` + `register`),
 * background work (`start`), or both.
 *
 * - `register(scope, deps)` adds its routes, content parsers and error handler to its own
 *   encapsulated scope, mounted under `prefix` (`/auth/v1`, `/rest/v1`...).
 * - `start(deps)` starts background work (a schedule, a change feed, a job worker) once every
 *   service is registered; all services start concurrently, so start must not wait for the work
 *   itself. It returns what is running; the server calls its `stop()` when it closes. (The state
 *   lives in what `start` returns, not in the service object, since one service object serves
 *   every server of the process, e.g. in tests.) `register` and `start` receive the same `deps`
 *   object, so state made in one can be found from the other (a `WeakMap` keyed by `deps`).
 */
export interface Service {
  readonly name: string;
  readonly prefix?: string;
  register?(scope: FastifyInstance, deps: ServiceDeps): Promise<void> | void;
  start?(deps: ServiceDeps): Promise<Running | undefined> | Running | undefined;
}
