import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config/index.js";
import { RELAY_ERRORS, type RelayError } from "./errors.js";
import { findFunction, verifiesJwt } from "./function-files.js";
import type { FunctionMetrics } from "./function-metrics.js";
import { functionPath, relay } from "./relay.js";
import { checkJwt } from "./verify-jwt.js";
import { BootError, type FunctionWorker } from "./worker.js";
import type { FunctionWorkers } from "./workers.js";

/**
 * `ANY /functions/v1/<name>[/<rest>][?query]`: find the function, check verify_jwt, get its
 * worker (starting it on first use) and relay the request. The function sees the path without
 * `/functions/v1`, as on Supabase.
 */
export function registerFunctionRoutes(
  scope: FastifyInstance,
  config: Config,
  workers: FunctionWorkers,
  metrics: FunctionMetrics,
): void {
  // Bodies are streamed to the function as they arrive, whatever their type.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", (_request, _payload, done) => done(null));

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = functionPath(request.url);
    const name = path.split(/[/?#]/)[1] ?? "";
    const files = workers.runningFiles(name) ?? findFunction(config, name);
    if (files === null) return send(reply, RELAY_ERRORS.notFound);
    if (FORBIDDEN_METHODS.has(request.method)) return send(reply, RELAY_ERRORS.methodNotAllowed);
    if (request.method !== "OPTIONS" && verifiesJwt(config, files)) {
      const refused = await checkJwt(request.headers.authorization, request.headers.apikey, config.jwt);
      if (refused !== null) return send(reply, refused);
    }
    let worker: FunctionWorker;
    try {
      worker = await workers.acquire(files);
    } catch (error) {
      if (!(error instanceof BootError)) throw error;
      request.log.error({ function: name }, error.message);
      metrics.relayErrors.inc({ function: name, code: "BOOT_ERROR" });
      return send(reply, RELAY_ERRORS.bootError);
    }
    try {
      await relay(request, reply, worker, {
        path,
        bodyLimit: config.edgeRuntime.bodyLimit,
        wallClockMs: config.edgeRuntime.wallClockMs,
        onRelayError: (code) => metrics.relayErrors.inc({ function: name, code }),
        onLimit: (stopped, limit) => {
          request.log.warn({ function: name }, `${limit} limit reached: the worker is stopped`);
          workers.kill(stopped);
        },
      });
    } finally {
      workers.release(worker);
    }
    return reply;
  };
  scope.all("/", handler);
  scope.all("/*", handler);
  // Methods `all` does not route (M-SEARCH, PROPFIND...) still get the relay's own answer.
  scope.setNotFoundHandler((_request, reply) => send(reply, RELAY_ERRORS.notFound));
}

/** Methods a function cannot receive: Deno's `new Request` throws for them. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

function send(reply: FastifyReply, error: RelayError): FastifyReply {
  return reply.code(error.status).send(error.body);
}
