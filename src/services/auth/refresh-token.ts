import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { signAccessToken, type TokenResponse, tokenResponse } from "./access-token.js";
import { authError, OAuthError } from "./errors.js";
import { newRefreshToken } from "./secrets.js";
import { enforceSessionLimits } from "./session-limits.js";
import { auditPayload } from "./sql/audit.js";
import { CommitThenThrow, transaction } from "./sql/queryable.js";
import {
  activeRefreshToken,
  deleteRefreshToken,
  lockRefreshToken,
  recordRefresh,
  revokeTokenFamily,
} from "./sql/refresh-tokens.js";
import type { AuthRuntime, ClientInfo } from "./types.js";
import { isBanned } from "./users.js";

/** GoTrue retries a locked token for up to 5 s, every 10-30 ms, instead of queueing on the lock. */
const RETRY_FOR_MS = 5000;

/** Response headers GoTrue adds to refresh answers (informational for clients and logs). */
export type SetHeader = (name: string, value: string) => void;

/**
 * `grant_type=refresh_token` (reference/auth.md §6): rotation with parent tracking, the reuse
 * interval, and revocation of the whole family when a used token is replayed too late.
 */
export async function refreshSession(
  runtime: AuthRuntime,
  refreshToken: string,
  client: ClientInfo,
  setHeader: SetHeader,
): Promise<TokenResponse> {
  if (refreshToken === "") throw new OAuthError("invalid_request", "refresh_token required");
  const started = Date.now();
  while (Date.now() - started < RETRY_FOR_MS) {
    const result = await transaction(runtime.db.admin, (tx) =>
      rotate(runtime, tx, refreshToken, client, setHeader),
    );
    if (result !== "locked") return result;
    await sleep(10 + Math.floor(Math.random() * 20));
  }
  throw authError(
    "conflict",
    "Too many concurrent token refresh requests on the same session or refresh token",
  );
}

async function rotate(
  runtime: AuthRuntime,
  tx: pg.PoolClient,
  presented: string,
  client: ClientInfo,
  setHeader: SetHeader,
): Promise<TokenResponse | "locked"> {
  const { refreshTokenReuseInterval, enableRefreshTokenRotation } = runtime.config.auth;
  const token = await lockRefreshToken(tx, presented, refreshTokenReuseInterval);
  if (token === "missing") throw authError("refresh_token_not_found");
  if (token === "locked") return "locked";
  const { user } = token;
  setHeader("sb-auth-user-id", user.id);
  if (isBanned(user)) throw authError("user_banned", "Invalid Refresh Token: User Banned");
  if (token.sessionId === null) {
    await deleteRefreshToken(tx, token.id);
    throw new CommitThenThrow(authError("session_not_found"));
  }
  const sessionId = token.sessionId;
  setHeader("sb-auth-session-id", sessionId);
  if (token.sessionExpired) throw authError("session_expired");
  await enforceSessionLimits(runtime, tx, sessionId, token.id);

  let handBack: string | null = null;
  if (token.revoked) {
    const active = await activeRefreshToken(tx, sessionId);
    if (active !== null && active.parent === token.token) {
      // The client lost the answer to its last refresh: give it the token it missed, no new row.
      handBack = active.token;
    } else if (token.outsideReuseInterval) {
      if (enableRefreshTokenRotation) await revokeTokenFamily(tx, sessionId);
      throw new CommitThenThrow(authError("refresh_token_already_used"));
    }
    // Otherwise a revoked token inside the reuse interval refreshes like a live one (GoTrue).
  }
  const issued = handBack ?? newRefreshToken();
  const actor = { id: user.id, name: user.email };
  const amr = await recordRefresh(tx, {
    sessionId,
    userId: user.id,
    parent: handBack === null ? { id: token.id, token: token.token } : null,
    issued,
    userAgent: client.userAgent,
    ip: client.ip,
    refreshedPayload: auditPayload("token_refreshed", actor),
    revokedPayload: auditPayload("token_revoked", actor),
  });
  const accessToken = await signAccessToken(runtime, tx, {
    user,
    sessionId,
    amr,
    method: "token_refresh",
    ip: client.ip,
  });
  return tokenResponse(runtime, user, accessToken, issued);
}
