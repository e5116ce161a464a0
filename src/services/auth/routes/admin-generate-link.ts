import { generateLink } from "../generate-link.js";
import { clientInfo, objectParam, readParams, requestAudience, stringParam } from "../params.js";
import { externalUrl, isAllowedRedirect, redirectTarget } from "../redirect.js";
import { requireAdmin } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /admin/generate_link` (`auth.admin.generateLink`): service_role only. The body's
 * `redirect_to` is used when allowed, else the request's (GoTrue's order).
 */
export const adminGenerateLinkRoute: AuthRoute = (scope, runtime) => {
  scope.post("/admin/generate_link", async (request) => {
    await requireAdmin(runtime, request);
    const params = readParams(request);
    const requested = stringParam(params, "redirect_to");
    return generateLink(
      runtime,
      {
        type: stringParam(params, "type"),
        email: stringParam(params, "email"),
        newEmail: stringParam(params, "new_email"),
        password: stringParam(params, "password"),
        data: objectParam(params, "data"),
        aud: requestAudience(request),
      },
      {
        externalUrl: externalUrl(request),
        redirectTo: isAllowedRedirect(requested, runtime.config.auth)
          ? requested
          : redirectTarget(request, runtime.config.auth),
      },
      clientInfo(request),
    );
  });
};
