import type { FastifyInstance, FastifyRequest } from "fastify";
import { clientAborted } from "../../request/client-abort.js";
import type { Service, ServiceDeps } from "../service.js";
import { RestError, sendError, toRestError } from "./errors.js";
import { PlanCache } from "./plan-cache.js";
import type { RestDeps } from "./rest-request.js";
import { dispatch } from "./routes/dispatch.js";
import { SchemaCacheHolder } from "./schema-cache/cache.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Request bodies up to this size are accepted (bulk inserts can be large). */
const BODY_LIMIT = 10 * 1024 * 1024;

/**
 * The PostgREST-compatible data API under `/rest/v1` (reference/postgrest.md). Every request
 * runs as the caller in one transaction; the schema cache is loaded as the server starts and reloaded on
 * `NOTIFY pgrst`.
 */
export const restService: Service = {
  name: "rest",
  prefix: "/rest/v1",
  async register(scope: FastifyInstance, { config, db, listener }: ServiceDeps) {
    const plans = new PlanCache();
    const schemaCache = new SchemaCacheHolder({
      admin: db.admin,
      listener,
      schemas: config.api.schemas,
      onReload: () => plans.clear(),
      log: (message) => scope.log.warn(message),
    });
    // The first load runs while the server finishes starting; requests that arrive before it
    // is done wait for it (and get PGRST002 only if it failed).
    const firstLoad = schemaCache.start().catch((error: Error) => {
      scope.log.error({ err: error }, "schema cache did not start");
    });
    scope.addHook("onRequest", async () => {
      if (schemaCache.current === null) await firstLoad;
    });
    scope.addHook("onClose", async () => {
      await firstLoad;
      await schemaCache.close();
    });
    const deps: RestDeps = { config, db, schemaCache, plans };

    // Bodies are read raw and parsed by the handler: how depends on the route (RPC takes
    // text/plain for a single text argument; inserts take JSON, CSV or a form).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) => {
      done(null, body);
    });
    scope.setErrorHandler((error, request, reply) => {
      if (clientAborted(request, error)) {
        request.log.debug({ err: error }, "client went away");
        return reply.code(400).send();
      }
      const rest = toRestError(error, authenticated(request), request.headers["content-type"]);
      if (!(error instanceof RestError) && rest.status >= 500)
        request.log.error({ err: error }, "rest request failed");
      return sendError(reply, rest);
    });
    const handler = dispatch(deps);
    scope.route({ method: METHODS, url: "/", handler });
    scope.route({ method: METHODS, url: "/*", handler });
  },
};

function authenticated(request: FastifyRequest): boolean {
  const caller = request.caller;
  return caller?.ok === true && caller.context.role !== "anon";
}
