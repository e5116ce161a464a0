import type { FastifyInstance } from "fastify";
import type { JwtKeys } from "../../config/index.js";
import { type Caller, resolveCaller } from "../../request/caller.js";

/** `/rest/v1/todos` -> `/todos`: the path as the service (PostgREST, GoTrue...) sees it. */
export function servicePath(url: string): string {
  const path = url.split("?")[0] ?? "/";
  const stripped = path.replace(/^\/[a-z]+\/v1(?=\/|$)/, "");
  return stripped === "" ? "/" : stripped;
}

/**
 * Resolves the caller of every request once, before any handler runs. A callback hook, not an
 * async one: a token verified recently resolves at once, without a promise per request.
 */
export function registerCaller(app: FastifyInstance, keys: JwtKeys): void {
  app.decorateRequest<Caller | null>("caller", null);
  app.addHook("onRequest", (request, _reply, done) => {
    const caller = resolveCaller(request, keys, servicePath(request.url));
    if (!(caller instanceof Promise)) {
      request.caller = caller;
      done();
      return;
    }
    caller.then((resolved) => {
      request.caller = resolved;
      done();
    }, done);
  });
}
