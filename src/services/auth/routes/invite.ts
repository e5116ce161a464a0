import { inviteUser } from "../invite.js";
import { clientInfo, objectParam, readParams, requestAudience, stringParam } from "../params.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { requireAdmin } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

/** `POST /invite[?redirect_to=]` (`auth.admin.inviteUserByEmail`): service_role only. */
export const inviteRoute: AuthRoute = (scope, runtime) => {
  scope.post("/invite", async (request) => {
    const admin = await requireAdmin(runtime, request);
    const params = readParams(request);
    return inviteUser(
      runtime,
      {
        email: stringParam(params, "email"),
        data: objectParam(params, "data"),
        aud: requestAudience(request),
      },
      admin,
      clientInfo(request),
      { externalUrl: externalUrl(request), redirectTo: redirectTarget(request, runtime.config.auth) },
    );
  });
};
