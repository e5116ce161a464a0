import { randomUUID } from "node:crypto";
import { signAccessToken, type TokenResponse, tokenResponse } from "./access-token.js";
import { newRefreshToken } from "./secrets.js";
import { auditPayload } from "./sql/audit.js";
import type { Queryable } from "./sql/queryable.js";
import { deleteSession, deleteUserSessions, startSession } from "./sql/sessions.js";
import type { AuthenticationMethod, AuthRuntime, AuthUser, ClientInfo } from "./types.js";

/**
 * Signs a user in: a new session with its first refresh token, and an access token for it
 * (through the hook when configured). GoTrue's `IssueRefreshToken`.
 */
export async function issueSession(
  runtime: AuthRuntime,
  sql: Queryable,
  user: AuthUser,
  method: AuthenticationMethod,
  client: ClientInfo,
): Promise<TokenResponse> {
  const sessionId = randomUUID();
  const refreshToken = newRefreshToken();
  const started = await startSession(sql, {
    sessionId,
    userId: user.id,
    refreshToken,
    method,
    client,
    auditPayload: auditPayload("login", { id: user.id, name: user.email }, { provider: providerOf(method) }),
  });
  const signedIn: AuthUser = {
    ...user,
    last_sign_in_at: started.lastSignInAt,
    updated_at: started.updatedAt,
  };
  const accessToken = await signAccessToken(runtime, sql, {
    user: signedIn,
    sessionId,
    amr: started.amr,
    method,
    ip: client.ip,
  });
  return tokenResponse(runtime, signedIn, accessToken, refreshToken);
}

function providerOf(method: AuthenticationMethod): string {
  return method === "anonymous" ? "anonymous" : "email";
}

/** `POST /logout` scopes (reference/auth.md §2). */
export type LogoutScope = "global" | "local" | "others";

/**
 * Ends sessions for a sign-out: `local` the caller's session, `others` every other one,
 * `global` all of them. A token without a session signs out globally, as in GoTrue.
 */
export async function signOut(
  sql: Queryable,
  userId: string,
  sessionId: string | null,
  scope: LogoutScope,
): Promise<void> {
  if (sessionId !== null && scope === "local") return deleteSession(sql, sessionId);
  if (sessionId !== null && scope === "others") return deleteUserSessions(sql, userId, sessionId);
  return deleteUserSessions(sql, userId, null);
}
