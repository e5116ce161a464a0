import { requestOtp } from "../otp.js";
import { clientInfo, objectParam, readParams, requestAudience, stringParam } from "../params.js";
import { requestPhoneOtp } from "../phone-sign-in.js";
import { pkceChallenge } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /otp` (`signInWithOtp`) and the older `POST /magiclink`: a magic link and a code to the
 * address; `{}` whether or not it has an account. With a phone instead, a code by SMS
 * (phone-sign-in.ts). Limited per IP by `sign_in_sign_ups`.
 */
export const otpRoute: AuthRoute = (scope, runtime) => {
  for (const path of ["/otp", "/magiclink"]) {
    scope.post(path, async (request) => {
      await enforce(runtime.limits.signUp, request.ip);
      const params = readParams(request);
      const phone = stringParam(params, "phone");
      if (phone !== "" && stringParam(params, "email") === "") {
        return requestPhoneOtp(
          runtime,
          {
            phone,
            data: objectParam(params, "data"),
            createUser: params.create_user !== false,
            aud: requestAudience(request),
          },
          clientInfo(request),
        );
      }
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
