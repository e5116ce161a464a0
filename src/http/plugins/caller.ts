import type { FastifyInstance, FastifyRequest } from "fastify";
import type { JwtKeys } from "../../config/index.js";
import type { RequestContext } from "../../db/context.js";
import { type Caller, resolveCaller } from "../request-context.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set for every request before its handler runs; see {@link requireContext}. */
    caller: Caller;
  }
}

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

/**
 * The caller's context, or the credential error thrown for the service's own error renderer to
 * word (PostgREST, GoTrue and Storage each have their own error body).
 */
export function requireContext(request: FastifyRequest): RequestContext {
  const caller = request.caller;
  if (!caller.ok) throw caller.error;
  return caller.context;
}
