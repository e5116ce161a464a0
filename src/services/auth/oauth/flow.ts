import { randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { jwtVerify, SignJWT } from "jose";
import { authError } from "../errors.js";
import { clientInfo, queryParam, requestAudience } from "../params.js";
import { type PkceChallenge, pkceChallenge } from "../pkce.js";
import { externalUrl, redirectTarget } from "../redirect.js";
import { issueSession } from "../sessions.js";
import { insertFlowState, issueAuthCode } from "../sql/flow-state.js";
import { linkExternalIdentity, signInExternalIdentity } from "../sql/oauth-users.js";
import { transaction } from "../sql/queryable.js";
import { findUserById } from "../sql/users.js";
import type { AuthRuntime } from "../types.js";
import { isBanned } from "../users.js";
import { authorizationUrl, type ExternalProviderConfig, ProviderError, redeemCode } from "./oidc-client.js";

/** A sign-in in flight lives in the signed `state` parameter for 10 minutes (GoTrue's is a JWT too). */
const STATE_LIFETIME = "10m";
const STATE_AUDIENCE = "groundwork-oauth-state";

interface State {
  readonly provider: string;
  readonly redirectTo: string;
  readonly nonce: string;
  readonly aud: string;
  readonly pkce: PkceChallenge | null;
  /** Set by `linkIdentity`: the signed-in user the identity is to be attached to. */
  readonly linkUser: string | null;
}

/** Where the sign-in ends: the app's URL with a session (implicit), a code (PKCE) or an error. */
export type Outcome = { readonly redirect: string };

/**
 * `GET /authorize?provider=NAME` (`signInWithOAuth`): the provider's authorization URL for a
 * configured provider, with the app's `redirect_to`, the PKCE challenge and a nonce carried in a
 * signed state.
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
  const pkce = pkceChallenge({
    code_challenge: queryParam(request, "code_challenge"),
    code_challenge_method: queryParam(request, "code_challenge_method"),
  });
  const nonce = randomBytes(16).toString("base64url");
  const state = await new SignJWT({
    provider: provider.name,
    redirect_to: redirectTarget(request, runtime.config.auth),
    nonce,
    jwt_aud: requestAudience(request),
    ...(linkUserId ? { link_user: linkUserId } : {}),
    ...(pkce ? { code_challenge: pkce.challenge, code_challenge_method: pkce.method } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(STATE_AUDIENCE)
    .setExpirationTime(STATE_LIFETIME)
    .sign(stateKey(runtime));
  try {
    return await authorizationUrl(
      provider,
      callbackUrl(provider, request),
      queryParam(request, "scopes"),
      state,
      nonce,
    );
  } catch (error) {
    if (error instanceof ProviderError) throw authError("validation_failed", error.message, 400);
    throw error;
  }
}

/**
 * `GET /callback?code&state` from the provider: redeems the code, finds or creates the user
 * (linking by verified email), and sends the browser back to the app — tokens in the fragment
 * (implicit) or `?code=` for `exchangeCodeForSession` (PKCE). A bad state is 400 here, since
 * it names no app to go back to; every later problem goes back to the app as `error=...`.
 */
export async function finishSignIn(runtime: AuthRuntime, request: FastifyRequest): Promise<Outcome> {
  const state = await readState(runtime, queryParam(request, "state"));
  const provider = configuredProvider(runtime, state.provider);
  if (!provider)
    throw authError(
      "validation_failed",
      `Unsupported provider: provider ${state.provider} could not be found`,
    );
  const fail = (code: string, description: string) => ({
    redirect: withParams(state.redirectTo, state.pkce !== null, {
      error: code === "access_denied" ? code : "server_error",
      error_code: code,
      error_description: description,
    }),
  });
  const providerError = queryParam(request, "error");
  if (providerError !== "") {
    return fail(
      providerError === "access_denied" ? "access_denied" : "unexpected_failure",
      queryParam(request, "error_description") || providerError,
    );
  }
  const code = queryParam(request, "code");
  if (code === "") return fail("bad_oauth_callback", "OAuth callback with missing authorization code");
  let identity: Awaited<ReturnType<typeof redeemCode>>;
  try {
    identity = await redeemCode(provider, code, callbackUrl(provider, request), state.nonce);
  } catch (error) {
    if (error instanceof ProviderError) return fail("bad_oauth_callback", error.message);
    throw error;
  }
  if (identity.email !== null && !identity.emailVerified && !runtime.autoconfirm) {
    return fail("provider_email_needs_verification", `Unverified email with ${provider.name}`);
  }
  return transaction(runtime.db.admin, async (tx) => {
    const external = {
      provider: provider.name,
      providerId: identity.sub,
      email: identity.email,
      emailVerified: identity.emailVerified,
      data: identity.claims,
    };
    const found = state.linkUser
      ? await linkExternalIdentity(tx, state.linkUser, external)
      : await signInExternalIdentity(tx, external, state.aud);
    if (found === "taken") {
      return fail("identity_already_exists", "Identity is already linked to another user");
    }
    if (found === "email_taken") {
      return fail("email_exists", "A user with this email address has already been registered");
    }
    const user = await findUserById(tx, found.userId);
    if (!user) return fail("user_not_found", "User not found");
    if (isBanned(user)) return fail("user_banned", "User is banned");
    if (state.pkce) {
      await insertFlowState(tx, {
        userId: user.id,
        providerType: provider.name,
        method: "oauth",
        challengeMethod: state.pkce.method,
        challenge: state.pkce.challenge,
      });
      const authCode = await issueAuthCode(tx, user.id, "oauth");
      return { redirect: withParams(state.redirectTo, true, { code: authCode ?? "" }) };
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
}

/** A configured provider by name; own keys only, so `constructor` or `__proto__` name nothing. */
export function configuredProvider(runtime: AuthRuntime, name: string): ExternalProviderConfig | undefined {
  const providers = runtime.config.auth.external;
  return Object.hasOwn(providers, name) ? providers[name] : undefined;
}

async function readState(runtime: AuthRuntime, token: string): Promise<State> {
  if (token === "") throw authError("validation_failed", "OAuth state parameter missing");
  try {
    const { payload } = await jwtVerify(token, stateKey(runtime), {
      audience: STATE_AUDIENCE,
      algorithms: ["HS256"],
    });
    const challenge = payload.code_challenge;
    const method = payload.code_challenge_method;
    return {
      provider: String(payload.provider),
      redirectTo: String(payload.redirect_to),
      nonce: String(payload.nonce),
      aud: String(payload.jwt_aud),
      linkUser: typeof payload.link_user === "string" ? payload.link_user : null,
      pkce:
        typeof challenge === "string" && (method === "s256" || method === "plain")
          ? { challenge, method }
          : null,
    };
  } catch {
    throw authError("validation_failed", "OAuth state is invalid or has expired");
  }
}

/** The state is signed with a key derived from the project's JWT secret, never the secret itself. */
function stateKey(runtime: AuthRuntime): Uint8Array {
  return new TextEncoder().encode(`oauth-state:${runtime.config.jwt.secret}`);
}

function callbackUrl(provider: ExternalProviderConfig, request: FastifyRequest): string {
  return provider.redirectUri ?? `${externalUrl(request)}/callback`;
}

/** The app's URL with parameters in the query (PKCE, errors of PKCE flows) or the fragment. */
function withParams(target: string, inQuery: boolean, params: Record<string, string>): string {
  const encoded = new URLSearchParams(params).toString();
  if (!inQuery) return `${target.split("#")[0]}#${encoded}`;
  const [base, fragment] = target.split("#", 2) as [string, string | undefined];
  const joined = `${base}${base.includes("?") ? "&" : "?"}${encoded}`;
  return fragment === undefined ? joined : `${joined}#${fragment}`;
}
