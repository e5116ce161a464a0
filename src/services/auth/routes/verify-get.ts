import { AuthError, authError } from "../errors.js";
import { clientInfo, queryParam, requestAudience } from "../params.js";
import { PKCE_PREFIX } from "../pkce.js";
import { goEncodeValues, queryValues } from "../query-string.js";
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
 * apikey). Success and failure both redirect (303) to `redirect_to`, encoded as GoTrue encodes
 * it (keys sorted, `+` for spaces). The implicit flow carries the session or the error in the
 * URL fragment; a PKCE flow (`pkce_` token) carries `?code=` in the query, and its messages and
 * errors in the query as well as the fragment, as GoTrue's `prepPKCERedirectURL` does.
 */
export const verifyGetRoute: AuthRoute = (scope, runtime) => {
  scope.get("/verify", async (request, reply) => {
    await enforce(runtime.limits.verify, request.ip);
    const type = queryParam(request, "type");
    const token = queryParam(request, "token");
    if (type === "") throw authError("validation_failed", "Verify requires a verification type");
    if (token === "") throw authError("validation_failed", "Verify requires a token or a token hash");
    const redirectTo = redirectTarget(request, runtime.config.auth);
    const pkce = token.startsWith(PKCE_PREFIX);
    let query = new Map<string, string[]>();
    let fragment = new Map<string, string[]>();
    try {
      const result = await verifyEmailToken(
        runtime,
        "GET",
        { type, token, tokenHash: "", email: "", phone: "", redirectTo },
        requestAudience(request),
        clientInfo(request),
      );
      if (result.kind === "single_confirmation") {
        fragment = new Map([
          ["message", [SINGLE_CONFIRMATION_ACCEPTED]],
          ["sb", [""]],
        ]);
        if (pkce) query = new Map([["message", [SINGLE_CONFIRMATION_ACCEPTED]]]);
      } else if (result.kind === "code") {
        query = new Map([["code", [result.code]]]);
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
      const described = new Map([
        ["error_code", [error.code ?? "unknown"]],
        ["error_description", [error.message]],
      ]);
      const name = OAUTH_ERRORS[error.status];
      if (name) described.set("error", [name]);
      fragment = new Map([...described, ["sb", [""]]]);
      if (pkce) query = described;
    }
    return reply.redirect(withParams(redirectTo, query, fragment), 303);
  });
};

/** `base` with `query` merged into its own query string and `fragment` as its fragment. */
function withParams(
  base: string,
  query: ReadonlyMap<string, string[]>,
  fragment: ReadonlyMap<string, string[]>,
): string {
  const withoutFragment = base.split("#")[0] ?? base;
  let url = withoutFragment;
  if (query.size > 0) {
    const merged = queryValues(withoutFragment);
    for (const [key, values] of query) merged.set(key, values);
    url = `${withoutFragment.split("?")[0]}?${goEncodeValues(merged)}`;
  }
  return fragment.size > 0 ? `${url}#${goEncodeValues(fragment)}` : url;
}
