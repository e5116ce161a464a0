import { clientInfo } from "../params.js";
import { enforce } from "../rate-limit.js";
import { sendReauthentication } from "../reauthenticate.js";
import { externalUrl } from "../redirect.js";
import { requireUser } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

/** `GET /reauthenticate` (`auth.reauthenticate`): mails the signed-in user a nonce; `{}`. */
export const reauthenticateRoute: AuthRoute = (scope, runtime) => {
  scope.get("/reauthenticate", async (request) => {
    await enforce(runtime.limits.recover, request.ip);
    const caller = await requireUser(runtime, request);
    await sendReauthentication(runtime, caller.user, clientInfo(request), externalUrl(request));
    return {};
  });
};
