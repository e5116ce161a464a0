import type { FastifyError } from "fastify";
import type { Service } from "../service.js";
import { AuthError, authError, sendAuthError } from "./errors.js";
import { configuredHooks } from "./hooks/hooks.js";
import { outboxMailer } from "./mailer.js";
import { authMetrics } from "./metrics.js";
import { createRateLimits } from "./rate-limit.js";
import { adminFactorsRoute } from "./routes/admin-factors.js";
import { adminGenerateLinkRoute } from "./routes/admin-generate-link.js";
import { adminUserDeleteRoute } from "./routes/admin-user-delete.js";
import { adminUserGetRoute } from "./routes/admin-user-get.js";
import { adminUserUpdateRoute } from "./routes/admin-user-update.js";
import { adminUsersCreateRoute } from "./routes/admin-users-create.js";
import { adminUsersListRoute } from "./routes/admin-users-list.js";
import { factorsRoute } from "./routes/factors.js";
import { healthRoute } from "./routes/health.js";
import { identitiesRoute } from "./routes/identities.js";
import { inviteRoute } from "./routes/invite.js";
import { jwksRoute } from "./routes/jwks.js";
import { logoutRoute } from "./routes/logout.js";
import { oauthRoute } from "./routes/oauth.js";
import { otpRoute } from "./routes/otp.js";
import { reauthenticateRoute } from "./routes/reauthenticate.js";
import { recoverRoute } from "./routes/recover.js";
import { resendRoute } from "./routes/resend.js";
import type { AuthRoute } from "./routes/route.js";
import { settingsRoute } from "./routes/settings.js";
import { signupRoute } from "./routes/signup.js";
import { tokenRoute } from "./routes/token.js";
import { userGetRoute } from "./routes/user-get.js";
import { userUpdateRoute } from "./routes/user-update.js";
import { verifyGetRoute } from "./routes/verify-get.js";
import { verifyPostRoute } from "./routes/verify-post.js";
import { smtpMailer } from "./smtp-mailer.js";
import { gotrueTokenError } from "./token-errors.js";
import type { AuthRuntime } from "./types.js";

/** GoTrue's endpoints, as they appear under `/auth/v1` (reference/auth.md §2). */
const ROUTES: readonly AuthRoute[] = [
  healthRoute,
  settingsRoute,
  jwksRoute,
  signupRoute,
  tokenRoute,
  userGetRoute,
  userUpdateRoute,
  logoutRoute,
  recoverRoute,
  otpRoute,
  resendRoute,
  reauthenticateRoute,
  verifyGetRoute,
  verifyPostRoute,
  adminUsersListRoute,
  adminUsersCreateRoute,
  adminUserGetRoute,
  adminUserUpdateRoute,
  adminUserDeleteRoute,
  inviteRoute,
  adminGenerateLinkRoute,
  factorsRoute,
  adminFactorsRoute,
  oauthRoute,
  identitiesRoute,
];

/** Request bodies above 1 MB are refused (reference/auth.md §1). */
const BODY_LIMIT = 1024 * 1024;

/**
 * The GoTrue-compatible auth service. Its scope keeps request bodies as text (routes decode them
 * the way GoTrue does), renders every error in GoTrue's shapes, and owns the `auth` tables
 * through the admin pool, as GoTrue owns them as `supabase_auth_admin`.
 */
export const authService: Service = {
  name: "auth",
  prefix: "/auth/v1",
  register(scope, deps) {
    const { config, db } = deps;
    const metrics = authMetrics(deps.metrics);
    const runtime: AuthRuntime = {
      config,
      db,
      limits: createRateLimits(config.auth, db.admin, (bucket) => metrics.rateLimited.inc({ bucket })),
      metrics,
      mailer: config.mail.smtp ? smtpMailer({ ...config.mail, smtp: config.mail.smtp }) : outboxMailer(),
      hooks: configuredHooks(config.auth.hooks, metrics),
      autoconfirm: !config.auth.email.enableConfirmations,
    };

    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: BODY_LIMIT }, (_request, body, done) => {
      done(null, body);
    });
    scope.setErrorHandler((error, request, reply) => sendAuthError(fromFastify(error), request, reply));
    scope.setNotFoundHandler((request, reply) =>
      sendAuthError(new AuthError(404, null, "Not Found"), request, reply),
    );
    // An opaque key that is not this project's is refused on every route, as Supabase's API
    // gateway refuses it before GoTrue sees the request.
    scope.addHook("onRequest", async (request, reply) => {
      const caller = request.caller;
      if (caller && !caller.ok && caller.error.reason === "invalid_api_key") {
        return sendAuthError(gotrueTokenError(caller.error), request, reply);
      }
    });
    for (const route of ROUTES) route(scope, runtime);
  },
};

/** Framework errors (body too large, bad content length...) in GoTrue's terms. */
function fromFastify(error: unknown): unknown {
  if (error instanceof Error && !(error instanceof AuthError)) {
    const status = (error as FastifyError).statusCode;
    if (status === 413) return authError("validation_failed", "Request body is larger than 1 MB", 413);
    if (typeof status === "number" && status >= 400 && status < 500) {
      return authError("validation_failed", error.message, status);
    }
  }
  return error;
}

// What the operations commands use of auth (users seed and reset create users as the admin API
// does; test rls signs claims as the token endpoint does, with the project's hook). Nothing outside
// this folder imports its other files.
export { runAccessTokenHook } from "./hooks/access-token.js";
export { parseHookUri } from "./hooks/call.js";
export { hashPassword, verifyPassword } from "./password.js";
export { updateUserColumns, upsertEmailIdentity } from "./sql/admin-users.js";
export { insertUser } from "./sql/users.js";
