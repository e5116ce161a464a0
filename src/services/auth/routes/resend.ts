import { clientInfo, readParams, requestAudience, stringParam } from "../params.js";
import { resendPhoneChange, resendPhoneCode } from "../phone-sign-in.js";
import { pkceChallenge } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { resend } from "../resend.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /resend` (`auth.resend`): the sign-up or email change messages again, or (`type: sms`) the
 * sign-up code by SMS (`type: phone_change`: the code to a pending new number); `{}` (a test number's answer carries its `message_id`).
 */
export const resendRoute: AuthRoute = (scope, runtime) => {
  scope.post("/resend", async (request) => {
    await enforce(runtime.limits.recover, request.ip);
    const params = readParams(request);
    const type = stringParam(params, "type");
    if (type === "phone_change") {
      return resendPhoneChange(
        runtime,
        { phone: stringParam(params, "phone"), aud: requestAudience(request) },
        clientInfo(request),
      );
    }
    if (type === "sms") {
      return resendPhoneCode(
        runtime,
        { phone: stringParam(params, "phone"), aud: requestAudience(request) },
        clientInfo(request),
      );
    }
    await resend(
      runtime,
      {
        type: stringParam(params, "type"),
        email: stringParam(params, "email"),
        phone: stringParam(params, "phone"),
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
};
