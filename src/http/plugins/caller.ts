import type { FastifyInstance } from "fastify";
import type { JwtKeys } from "../../config/index.js";
import { type Caller, resolveCaller } from "../../request/caller.js";

/** `/rest/v1/todos` -> `/todos`: the path as the service (PostgREST, GoTrue...) sees it. */
export function servicePath(url: string): string {
  const path = url.split("?")[0] ?? "/";
  const stripped = path.replace(/^\/[a-z]+\/v1(?=\/|$)/, "");
  return stripped === "" ? "/" : stripped;
}

/** Resolves the caller of every request once, before any handler runs. */
export function registerCaller(app: FastifyInstance, keys: JwtKeys): void {
  app.decorateRequest<Caller | null>("caller", null);
  app.addHook("onRequest", async (request) => {
    request.caller = await resolveCaller(request, keys, servicePath(request.url));
  });
}
