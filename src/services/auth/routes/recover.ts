import { clientInfo, readParams, requestAudience, stringParam } from "../params.js";
import { pkceChallenge } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { requestRecovery } from "../recover.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import type { AuthRoute } from "./route.js";

/** `POST /recover[?redirect_to=]`: always `{}`, whether or not the address has an account. */
export const recoverRoute: AuthRoute = (scope, runtime) => {
  scope.post("/recover", async (request) => {
    await enforce(runtime.limits.recover, request.ip);
    const params = readParams(request);
    await requestRecovery(
      runtime,
      stringParam(params, "email"),
      requestAudience(request),
      clientInfo(request),
      {
        externalUrl: externalUrl(request),
        redirectTo: redirectTarget(request, runtime.config.auth),
        pkce: pkceChallenge(params),
      },
    );
    return {};
  });
};
