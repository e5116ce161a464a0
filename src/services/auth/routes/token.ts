import { authError } from "../errors.js";
import { countSignIn } from "../metrics.js";
import { signInWithIdToken } from "../oauth/id-token.js";
import { clientInfo, queryParam, readParams, requestAudience, stringParam } from "../params.js";
import { exchangeAuthCode } from "../pkce.js";
import { enforce } from "../rate-limit.js";
import { refreshSession } from "../refresh-token.js";
import { signInWithPassword } from "../sign-in.js";
import type { AuthRoute } from "./route.js";

/**
 * `POST /token?grant_type=password|refresh_token|pkce|id_token`. Password sign-ins count against
 * `sign_in_sign_ups` per IP (and per email in the flow), refreshes against `token_refresh`.
 */
export const tokenRoute: AuthRoute = (scope, runtime) => {
  scope.post("/token", async (request, reply) => {
    const grantType = queryParam(request, "grant_type");
    if (grantType === "password") {
      return countSignIn(runtime.metrics, grantType, async () => {
        await enforce(runtime.limits.signIn, request.ip);
        const params = readParams(request);
        return signInWithPassword(
          runtime,
          {
            email: stringParam(params, "email"),
            phone: stringParam(params, "phone"),
            password: stringParam(params, "password"),
            aud: requestAudience(request),
          },
          clientInfo(request),
        );
      });
    }
    if (grantType === "refresh_token") {
      return countSignIn(runtime.metrics, grantType, async () => {
        await enforce(runtime.limits.tokenRefresh, request.ip);
        const params = readParams(request);
        return refreshSession(
          runtime,
          stringParam(params, "refresh_token"),
          clientInfo(request),
          (name, value) => reply.header(name, value),
        );
      });
    }
    if (grantType === "pkce") {
      return countSignIn(runtime.metrics, grantType, async () => {
        await enforce(runtime.limits.signIn, request.ip);
        const params = readParams(request);
        return exchangeAuthCode(
          runtime,
          stringParam(params, "auth_code"),
          stringParam(params, "code_verifier"),
          clientInfo(request),
        );
      });
    }
    if (grantType === "id_token") {
      return countSignIn(runtime.metrics, grantType, async () => {
        await enforce(runtime.limits.signIn, request.ip);
        return signInWithIdToken(runtime, readParams(request), requestAudience(request), clientInfo(request));
      });
    }
    // Supabase answers an unknown grant with this code and the grant error as the message.
    throw authError("invalid_credentials", "unsupported_grant_type");
  });
};
