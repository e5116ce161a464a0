import { randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { jwtVerify, SignJWT } from "jose";
import { AuthError, authError } from "../errors.js";
import { beforeUserCreated, externalUserDraft } from "../hooks/before-user-created.js";
import { clientInfo, queryParam, requestAudience } from "../params.js";
import { pkceChallenge } from "../pkce.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { issueSession } from "../sessions.js";
import { completeOAuthFlowState, insertFlowState, lockOpenOAuthFlowState } from "../sql/flow-state.js";
import { linkExternalIdentity, signInExternalIdentity } from "../sql/oauth-users.js";
import { transaction } from "../sql/queryable.js";
import { findUserById } from "../sql/users.js";
import type { AuthRuntime } from "../types.js";
import { isBanned } from "../users.js";
import { withErrorParams, withParams } from "./app-redirect.js";
import {
  authorizationUrl,
  type ExternalProviderConfig,
  redeemCode,
  type SignInRequest,
} from "./provider-client.js";
import { ProviderError, type ProviderIdentity, primaryEmail } from "./provider-identity.js";

/** A sign-in in flight lives in the signed `state` parameter for 10 minutes (GoTrue's is a JWT too). */
const STATE_LIFETIME = "10m";
const STATE_AUDIENCE = "groundwork-oauth-state";

/** Query parameters of /authorize that are Groundwork's own; the rest go on to the provider. */
const OWN_PARAMETERS = new Set([
  "provider",
  "scopes",
  "redirect_to",
  "code_challenge",
  "code_challenge_method",
  "skip_http_redirect",
]);

interface State {
  readonly provider: string;
  readonly redirectTo: string;
  readonly nonce: string;
  readonly aud: string;
  /** PKCE sign-ins: the `auth.flow_state` row /authorize stored with the app's challenge. */
  readonly flowStateId: string | null;
  /** Set by `linkIdentity`: the signed-in user the identity is to be attached to. */
  readonly linkUser: string | null;
}

/** Where the sign-in ends: the app's URL with a session (implicit), a code (PKCE) or an error. */
export type Outcome = { readonly redirect: string };

/**
 * `GET /authorize?provider=NAME` (`signInWithOAuth`): the provider's authorization URL for a
 * configured provider. The app's `redirect_to`, a nonce and (PKCE) the `auth.flow_state` row
 * holding the app's challenge travel in a signed state; other query parameters (supabase-js
 * `queryParams`) are passed on to the provider, as GoTrue does.
 */
export async function startSignIn(
  runtime: AuthRuntime,
  request: FastifyRequest,
  linkUserId: string | null = null,
): Promise<string> {
  const name = queryParam(request, "provider");
  const provider = configuredProvider(runtime, name.toLowerCase());
  if (!provider)
    throw authError("validation_failed", `Unsupported provider: provider ${name} could not be found`);
  // GoTrue's `ValidateOAuth`, checked when a sign-in starts rather than at boot.
  if (provider.clientId === "")
    throw authError("validation_failed", "Unsupported provider: missing OAuth client ID");
  if (provider.secret === "")
    throw authError("validation_failed", "Unsupported provider: missing OAuth secret");
  const pkce = pkceChallenge({
    code_challenge: queryParam(request, "code_challenge"),
    code_challenge_method: queryParam(request, "code_challenge_method"),
  });
  const flowStateId = pkce
    ? await insertFlowState(runtime.db.admin, {
        userId: null,
        providerType: provider.name,
        method: "oauth",
        challengeMethod: pkce.method,
        challenge: pkce.challenge,
      })
    : null;
  const nonce = randomBytes(16).toString("base64url");
  const state = await new SignJWT({
    provider: provider.name,
    redirect_to: redirectTarget(request, runtime.config.auth),
    nonce,
    jwt_aud: requestAudience(request),
    ...(linkUserId ? { link_user: linkUserId } : {}),
    ...(flowStateId ? { flow_state_id: flowStateId } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(STATE_AUDIENCE)
    .setExpirationTime(STATE_LIFETIME)
    .sign(stateKey(runtime));
  try {
    return await authorizationUrl(provider, {
      ...signInRequest(provider, request, state, nonce),
      scopes: queryParam(request, "scopes"),
      extra: passedOn(request),
    });
  } catch (error) {
    if (error instanceof ProviderError) throw authError("validation_failed", error.message, 400);
    throw error;
  }
}

/**
 * The provider's answer at `/callback` (`params`: the query, or the form Apple posts): redeems
 * the code, finds or creates the user (linking by verified email), and sends the browser back
 * to the app — tokens in the fragment (implicit) or `?code=` for `exchangeCodeForSession`
 * (PKCE). A bad state is 400 here, since it names no app to go back to; every later problem goes
 * back to the app as `error`, `error_code` and `error_description`.
 */
export async function finishSignIn(
  runtime: AuthRuntime,
  request: FastifyRequest,
  params: Readonly<Record<string, string>>,
): Promise<Outcome> {
  const stateToken = params.state ?? "";
  const state = await readState(runtime, stateToken);
  const provider = configuredProvider(runtime, state.provider);
  if (!provider)
    throw authError(
      "validation_failed",
      `Unsupported provider: provider ${state.provider} could not be found`,
    );
  const fail = (code: string, description: string): Outcome => ({
    redirect: withErrorParams(state.redirectTo, {
      error: code === "access_denied" ? code : "server_error",
      error_code: code,
      error_description: description,
    }),
  });
  const providerError = params.error ?? "";
  if (providerError !== "") {
    return fail(
      providerError === "access_denied" ? "access_denied" : "unexpected_failure",
      params.error_description || providerError,
    );
  }
  if ((params.code ?? "") === "")
    return fail("bad_oauth_callback", "OAuth callback with missing authorization code");
  let identity: ProviderIdentity;
  try {
    identity = await redeemCode(provider, params, {
      ...signInRequest(provider, request, stateToken, state.nonce),
      scopes: "",
      extra: {},
    });
  } catch (error) {
    if (error instanceof ProviderError) return fail("bad_oauth_callback", error.message);
    throw error;
  }
  const signIn = transaction(runtime.db.admin, async (tx) => {
    if (state.flowStateId && !(await lockOpenOAuthFlowState(tx, state.flowStateId))) {
      return fail("flow_state_not_found", "invalid flow state, no valid flow state found");
    }
    const primary = primaryEmail(identity);
    const external = {
      provider: provider.name,
      providerId: identity.sub,
      email: primary?.address.toLowerCase() ?? null,
      emailVerified: primary?.verified ?? false,
      // Only addresses the provider verified link to an existing user (GoTrue also links
      // unverified ones under autoconfirm; that would let anyone who registers an address at a
      // provider take over the account of its owner here).
      linkEmails: identity.emails.filter((email) => email.verified).map((email) => email.address),
      data: {
        ...(primary ? { email: primary.address, email_verified: primary.verified } : {}),
        ...identity.claims,
      },
    };
    const found = state.linkUser
      ? await linkExternalIdentity(tx, state.linkUser, external)
      : await signInExternalIdentity(tx, external, state.aud, {
          signupAllowed: runtime.config.auth.enableSignup,
          unverifiedAllowed: runtime.autoconfirm,
          beforeCreate: (id) =>
            beforeUserCreated(
              runtime,
              externalUserDraft(id, state.aud, external),
              clientInfo(request).ip,
              tx,
            ),
        });
    if (typeof found === "string") {
      const [code, description] = REFUSALS[found] ?? ["unexpected_failure", found];
      return fail(code, description);
    }
    const user = await findUserById(tx, found.userId);
    if (!user) return fail("user_not_found", "User not found");
    if (isBanned(user)) return fail("user_banned", "User is banned");
    if (state.flowStateId) {
      const code = await completeOAuthFlowState(tx, {
        id: state.flowStateId,
        userId: user.id,
        providerAccessToken: identity.accessToken,
        providerRefreshToken: identity.refreshToken,
      });
      return { redirect: withParams(state.redirectTo, true, { code: code ?? "" }) };
    }
    const session = await issueSession(runtime, tx, user, "oauth", clientInfo(request));
    return {
      redirect: withParams(state.redirectTo, false, {
        access_token: session.access_token,
        expires_at: String(session.expires_at),
        expires_in: String(session.expires_in),
        provider_token: identity.accessToken,
        ...(identity.refreshToken ? { provider_refresh_token: identity.refreshToken } : {}),
        refresh_token: session.refresh_token,
        token_type: "bearer",
      }),
    };
  });
  // A hook's refusal (before_user_created, or the access token hook) goes back to the app like
  // every other problem here, as GoTrue's `redirectErrors` sends it: `error` from the status,
  // the hook's message, and GoTrue's empty `error_code` for errors without one.
  return signIn.catch((error: unknown) => {
    if (!(error instanceof AuthError) || error.code !== null) throw error;
    return {
      redirect: withErrorParams(state.redirectTo, {
        error: OAUTH_ERRORS[error.status] ?? "server_error",
        error_code: "",
        error_description: error.message,
      }),
    };
  });
}

/** GoTrue's `oauthErrorMap`: the OAuth `error` of an HTTP status. */
const OAUTH_ERRORS: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized_client",
  403: "access_denied",
  500: "server_error",
  503: "temporarily_unavailable",
};

/** GoTrue's `error_code` and `error_description` for each way linking can end without a user. */
const REFUSALS: Readonly<Record<string, readonly [string, string]>> = {
  taken: ["identity_already_exists", "Identity is already linked to another user"],
  email_taken: ["email_exists", "A user with this email address has already been registered"],
  multiple_accounts: [
    "unexpected_failure",
    "Multiple accounts with the same email address in the same linking domain detected",
  ],
  signup_disabled: ["signup_disabled", "Signups not allowed for this instance"],
  needs_verification: ["provider_email_needs_verification", "Unverified email with provider"],
};

/** A configured provider by name; own keys only, so `constructor` or `__proto__` name nothing. */
export function configuredProvider(runtime: AuthRuntime, name: string): ExternalProviderConfig | undefined {
  const providers = runtime.config.auth.external;
  return Object.hasOwn(providers, name) ? providers[name] : undefined;
}

function signInRequest(
  provider: ExternalProviderConfig,
  request: FastifyRequest,
  state: string,
  nonce: string,
): Omit<SignInRequest, "scopes" | "extra"> {
  return { redirectUri: provider.redirectUri ?? `${externalUrl(request)}/callback`, state, nonce };
}

/** The query parameters of /authorize that go on to the provider (single values, no NUL). */
function passedOn(request: FastifyRequest): Record<string, string> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const extra: Record<string, string> = {};
  for (const name of Object.keys(query)) {
    if (!OWN_PARAMETERS.has(name)) extra[name] = queryParam(request, name);
  }
  return extra;
}

async function readState(runtime: AuthRuntime, token: string): Promise<State> {
  if (token === "") throw authError("validation_failed", "OAuth state parameter missing");
  try {
    const { payload } = await jwtVerify(token, stateKey(runtime), {
      audience: STATE_AUDIENCE,
      algorithms: ["HS256"],
    });
    return {
      provider: String(payload.provider),
      redirectTo: String(payload.redirect_to),
      nonce: String(payload.nonce),
      aud: String(payload.jwt_aud),
      linkUser: typeof payload.link_user === "string" ? payload.link_user : null,
      flowStateId: typeof payload.flow_state_id === "string" ? payload.flow_state_id : null,
    };
  } catch {
    throw authError("validation_failed", "OAuth state is invalid or has expired");
  }
}

/** The state is signed with a key derived from the project's JWT secret, never the secret itself. */
function stateKey(runtime: AuthRuntime): Uint8Array {
  return new TextEncoder().encode(`oauth-state:${runtime.config.jwt.secret}`);
}
