import { clientInfo, objectParam, optionalStringParam, readParams, stringParam } from "../params.js";
import { pkceChallenge } from "../pkce.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { requireUser } from "../token-auth.js";
import { updateUser } from "../user-update.js";
import type { AuthRoute } from "./route.js";

/** `PUT /user[?redirect_to=]`: email, password, `data` (merged into user_metadata). */
export const userUpdateRoute: AuthRoute = (scope, runtime) => {
  scope.put("/user", async (request) => {
    const caller = await requireUser(runtime, request);
    const params = readParams(request);
    return updateUser(
      runtime,
      caller,
      {
        email: stringParam(params, "email"),
        password: optionalStringParam(params, "password"),
        phone: stringParam(params, "phone"),
        data: objectParam(params, "data"),
        appMetadata: objectParam(params, "app_metadata"),
        nonce: stringParam(params, "nonce"),
      },
      clientInfo(request),
      {
        externalUrl: externalUrl(request),
        redirectTo: redirectTarget(request, runtime.config.auth),
        pkce: pkceChallenge(params),
      },
    );
  });
};
