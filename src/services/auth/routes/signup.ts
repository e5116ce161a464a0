import { authError } from "../errors.js";
import { clientInfo, objectParam, readParams, requestAudience, stringParam } from "../params.js";
import { signUpWithPhone } from "../phone-sign-in.js";
import { pkceChallenge } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { signUpAnonymously, signUpWithEmail } from "../sign-up.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /signup[?redirect_to=]`. A body with neither email nor phone is an anonymous sign-in
 * (GoTrue's routing), limited per IP by `anonymous_users`; others by `sign_in_sign_ups`.
 */
export const signupRoute: AuthRoute = (scope, runtime) => {
  scope.post("/signup", async (request) => {
    const params = readParams(request);
    const email = stringParam(params, "email");
    const phone = stringParam(params, "phone");
    const data = objectParam(params, "data");
    const aud = requestAudience(request);
    if (email === "" && phone === "") {
      if (!runtime.config.auth.enableAnonymousSignIns) throw authError("anonymous_provider_disabled");
      await enforce(runtime.limits.anonymous, request.ip);
      return signUpAnonymously(runtime, data, aud, clientInfo(request));
    }
    await enforce(runtime.limits.signUp, request.ip);
    if (email === "" && phone !== "") {
      return signUpWithPhone(
        runtime,
        { phone, password: stringParam(params, "password"), data, aud },
        clientInfo(request),
      );
    }
    return signUpWithEmail(
      runtime,
      { email, phone, password: stringParam(params, "password"), data, aud },
      clientInfo(request),
      {
        externalUrl: externalUrl(request),
        redirectTo: redirectTarget(request, runtime.config.auth),
        pkce: pkceChallenge(params),
      },
    );
  });
};
