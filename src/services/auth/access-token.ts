import type pg from "pg";
import { runAccessTokenHook } from "./hooks/access-token.js";
import type { Queryable } from "./sql/queryable.js";
import { transaction } from "./sql/queryable.js";
import type { AmrEntry } from "./sql/sessions.js";
import { signToken } from "./token-signer.js";
import type { AuthenticationMethod, AuthRuntime, AuthUser } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";

/** GoTrue's session (token) response (reference/auth.md §3). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: "bearer";
  readonly expires_in: number;
  readonly expires_at: number;
  readonly refresh_token: string;
  readonly user: UserJson;
  readonly weak_password?: { readonly reasons: readonly string[]; readonly message: string };
  /** PKCE OAuth sign-ins: the provider's tokens, as GoTrue returns them from the code exchange. */
  readonly provider_token?: string;
  readonly provider_refresh_token?: string;
}

export interface AccessTokenInput {
  readonly user: AuthUser;
  readonly sessionId: string;
  readonly amr: readonly AmrEntry[];
  /** Passed to the hook as `authentication_method` (`token_refresh` on refresh). */
  readonly method: AuthenticationMethod;
  /** The client's address, the hook event's `metadata.ip_address`. */
  readonly ip?: string | null;
}

/**
 * GoTrue's claim set, in GoTrue's order (reference/auth.md §5): `aud` a single string, `email` and
 * `phone` always present, `role` the user's role column.
 */
export function accessTokenClaims(
  runtime: AuthRuntime,
  input: AccessTokenInput,
  nowSeconds = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const { user } = input;
  return {
    iss: runtime.config.auth.jwtIssuer,
    sub: user.id,
    aud: user.aud ?? "",
    exp: nowSeconds + runtime.config.auth.jwtExpiry,
    iat: nowSeconds,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? "",
    aal: assuranceLevel(input.amr),
    amr: input.amr,
    session_id: input.sessionId,
    is_anonymous: user.is_anonymous,
  };
}

/** The amr methods that prove a second factor (GoTrue's `IsAAL2Claim`). */
const SECOND_FACTORS = new Set(["totp", "mfa/phone", "mfa/webauthn"]);

/** `aal2` once the session holds a second-factor claim, as GoTrue's `CalculateAALAndAMR`. */
export function assuranceLevel(amr: readonly AmrEntry[]): "aal1" | "aal2" {
  return amr.some((entry) => SECOND_FACTORS.has(entry.method)) ? "aal2" : "aal1";
}

/**
 * Builds and signs an access token. With `[auth.hook.custom_access_token]` on, the hook sees the
 * claims first and its validated output is what gets signed; `sql` must then be the transaction
 * that issued the session, so a failing hook undoes it (as in GoTrue).
 */
export async function signAccessToken(
  runtime: AuthRuntime,
  sql: Queryable,
  input: AccessTokenInput,
): Promise<{ token: string; expiresAt: number }> {
  let claims = accessTokenClaims(runtime, input);
  const hook = runtime.hooks.custom_access_token;
  if (hook) {
    if (!isTransactionClient(sql)) throw new Error("the custom access token hook must run in a transaction");
    claims = await runAccessTokenHook(
      sql,
      hook,
      { user_id: input.user.id, claims, authentication_method: input.method },
      input.ip ?? null,
    );
  }
  const exp = typeof claims.exp === "number" ? claims.exp : 0;
  return { token: await signToken(claims, runtime.config.jwt), expiresAt: exp };
}

/** The session response around a signed token. */
export function tokenResponse(
  runtime: AuthRuntime,
  user: AuthUser,
  accessToken: { token: string; expiresAt: number },
  refreshToken: string,
): TokenResponse {
  return {
    access_token: accessToken.token,
    token_type: "bearer",
    expires_in: runtime.config.auth.jwtExpiry,
    expires_at: accessToken.expiresAt,
    refresh_token: refreshToken,
    user: userJson(user),
  };
}

/**
 * Runs `fn` where tokens can be issued: inside a transaction when the hook is configured (it needs
 * `set local` and must roll back with the session), otherwise straight on the pool, where the
 * session is one atomic statement.
 */
export function withTokenScope<T>(runtime: AuthRuntime, fn: (sql: Queryable) => Promise<T>): Promise<T> {
  return runtime.hooks.custom_access_token ? transaction(runtime.db.admin, fn) : fn(runtime.db.admin);
}

function isTransactionClient(sql: Queryable): sql is pg.PoolClient {
  return typeof (sql as Partial<pg.PoolClient>).release === "function";
}
