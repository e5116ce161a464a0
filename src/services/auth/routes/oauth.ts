import type { FastifyRequest } from "fastify";
import { authError } from "../errors.js";
import { finishSignIn, startSignIn } from "../oauth/flow.js";
import { queryParam } from "../params.js";
import type { AuthRoute } from "./route.js";

/**
 * `GET /authorize` (where `signInWithOAuth` sends the browser) redirects to the provider;
 * `GET /callback` is where the provider sends it back, and `POST /callback` where a provider
 * that answers with `response_mode=form_post` (Apple) posts its form. None needs an API key, as
 * in GoTrue: browsers follow them as plain links and forms.
 */
export const oauthRoute: AuthRoute = (scope, runtime) => {
  scope.get("/authorize", async (request, reply) => {
    return reply.redirect(await startSignIn(runtime, request), 302);
  });
  scope.get("/callback", async (request, reply) => {
    const outcome = await finishSignIn(runtime, request, callbackParams(request, ""));
    return reply.redirect(outcome.redirect, 303);
  });
  scope.post("/callback", async (request, reply) => {
    const body = typeof request.body === "string" ? request.body : "";
    const outcome = await finishSignIn(runtime, request, callbackParams(request, body));
    return reply.redirect(outcome.redirect, 303);
  });
};

/**
 * The callback's parameters as Go's `FormValue` reads them: the posted form first, then the
 * query; the first value of a repeated name. A null-prototype record, so no name is special.
 */
function callbackParams(request: FastifyRequest, body: string): Record<string, string> {
  const params = Object.create(null) as Record<string, string>;
  const type = request.headers["content-type"] ?? "";
  if (body !== "" && type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    for (const [name, value] of new URLSearchParams(body)) {
      if (name.includes("\u0000") || value.includes("\u0000"))
        throw authError("validation_failed", "Invalid input: the form contains a NUL character (\\u0000)");
      if (!(name in params)) params[name] = value;
    }
  }
  for (const name of Object.keys((request.query ?? {}) as object)) {
    if (!(name in params)) params[name] = queryParam(request, name);
  }
  return params;
}
