import { requestOtp } from "../otp.js";
import { clientInfo, objectParam, readParams, requestAudience, stringParam } from "../params.js";
import { pkceChallenge } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /otp` (`signInWithOtp`) and the older `POST /magiclink`: a magic link and a code to the
 * address; `{}` whether or not it has an account. Limited per IP by `sign_in_sign_ups`.
 */
export const otpRoute: AuthRoute = (scope, runtime) => {
  for (const path of ["/otp", "/magiclink"]) {
    scope.post(path, async (request) => {
      await enforce(runtime.limits.signUp, request.ip);
      const params = readParams(request);
      await requestOtp(
        runtime,
        {
          email: stringParam(params, "email"),
          phone: stringParam(params, "phone"),
          data: objectParam(params, "data"),
          createUser: params.create_user !== false,
          aud: requestAudience(request),
        },
        clientInfo(request),
        {
          externalUrl: externalUrl(request),
          redirectTo: redirectTarget(request, runtime.config.auth),
          pkce: pkceChallenge(params),
        },
      );
      return {};
    });
  }
};
