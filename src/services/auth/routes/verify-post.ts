import { clientInfo, readParams, requestAudience, stringParam } from "../params.js";
import { verifyPhoneCode } from "../phone-sign-in.js";
import { enforce } from "../rate-limit.js";
import { SINGLE_CONFIRMATION_ACCEPTED, verifyEmailToken } from "../verify.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /verify` (`verifyOtp`): `{type, email, token}`, `{type: "sms" | "phone_change", phone, token}` or
 * `{type, token_hash}`; answers a session,
 * or GoTrue's `{msg, code}` when a secure email change still waits for its second link.
 */
export const verifyPostRoute: AuthRoute = (scope, runtime) => {
  scope.post("/verify", async (request) => {
    await enforce(runtime.limits.verify, request.ip);
    const params = readParams(request);
    const type = stringParam(params, "type");
    // A token_hash is only for emailed links: with a phone type, GoTrue's "Invalid email verification type".
    if ((type === "sms" || type === "phone_change") && stringParam(params, "token_hash") === "") {
      return verifyPhoneCode(
        runtime,
        {
          type,
          phone: stringParam(params, "phone"),
          token: stringParam(params, "token"),
          aud: requestAudience(request),
        },
        clientInfo(request),
      );
    }
    const result = await verifyEmailToken(
      runtime,
      "POST",
      {
        type: stringParam(params, "type"),
        token: stringParam(params, "token"),
        tokenHash: stringParam(params, "token_hash"),
        email: stringParam(params, "email"),
        phone: stringParam(params, "phone"),
        redirectTo: stringParam(params, "redirect_to"),
      },
      requestAudience(request),
      clientInfo(request),
    );
    return result.kind === "session" ? result.response : { msg: SINGLE_CONFIRMATION_ACCEPTED, code: "200" };
  });
};
