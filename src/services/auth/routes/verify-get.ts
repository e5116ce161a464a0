import { AuthError, authError } from "../errors.js";
import { clientInfo, queryParam, requestAudience } from "../params.js";
import { goEncodeValues } from "../query-string.js";
import { enforce } from "../rate-limit.js";
import { redirectTarget } from "../redirect.js";
import { SINGLE_CONFIRMATION_ACCEPTED, verifyEmailToken } from "../verify.js";
import type { AuthRoute } from "./route.js";

/** GoTrue's OAuth error names for statuses, used in error redirects. */
const OAUTH_ERRORS: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized_client",
  403: "access_denied",
  500: "server_error",
  503: "temporarily_unavailable",
};

/**
 * `GET /verify?token=<hash>&type=...&redirect_to=...`: the link in the email. Open route (no
 * apikey). Success and failure both redirect (303) to `redirect_to`, the session or the error in
 * the URL fragment, encoded as GoTrue encodes it (keys sorted, `+` for spaces).
 */
export const verifyGetRoute: AuthRoute = (scope, runtime) => {
  scope.get("/verify", async (request, reply) => {
    await enforce(runtime.limits.verify, request.ip);
    const type = queryParam(request, "type");
    const token = queryParam(request, "token");
    if (type === "") throw authError("validation_failed", "Verify requires a verification type");
    if (token === "") throw authError("validation_failed", "Verify requires a token or a token hash");
    const redirectTo = redirectTarget(request, runtime.config.auth);
    let fragment: Map<string, string[]>;
    try {
      const result = await verifyEmailToken(
        runtime,
        "GET",
        { type, token, tokenHash: "", email: "", phone: "", redirectTo },
        requestAudience(request),
        clientInfo(request),
      );
      if (result.kind === "single_confirmation") {
        fragment = new Map([["message", [SINGLE_CONFIRMATION_ACCEPTED]]]);
      } else {
        const session = result.response;
        fragment = new Map([
          ["access_token", [session.access_token]],
          ["token_type", [session.token_type]],
          ["expires_in", [String(session.expires_in)]],
          ["expires_at", [String(session.expires_at)]],
          ["refresh_token", [session.refresh_token]],
          ["type", [type]],
        ]);
      }
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      fragment = new Map([
        ["error_code", [error.code ?? "unknown"]],
        ["error_description", [error.message]],
      ]);
      const name = OAUTH_ERRORS[error.status];
      if (name) fragment.set("error", [name]);
    }
    const base = redirectTo.split("#")[0] ?? redirectTo;
    return reply.redirect(`${base}#${goEncodeValues(fragment)}`, 303);
  });
};
