import { finishSignIn, startSignIn } from "../oauth/flow.js";
import type { AuthRoute } from "./route.js";

/**
 * `GET /authorize` (where `signInWithOAuth` sends the browser) redirects to the provider;
 * `GET /callback` is where the provider sends it back. Both need no API key, as in GoTrue:
 * browsers follow them as plain links.
 */
export const oauthRoute: AuthRoute = (scope, runtime) => {
  scope.get("/authorize", async (request, reply) => {
    return reply.redirect(await startSignIn(runtime, request), 302);
  });
  scope.get("/callback", async (request, reply) => {
    const outcome = await finishSignIn(runtime, request);
    return reply.redirect(outcome.redirect, 303);
  });
};
