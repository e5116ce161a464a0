import type { AuthenticationMethod, ClientInfo } from "../types.js";
import { auditInsertSql } from "./audit.js";
import { NIL_UUID, type Queryable } from "./queryable.js";

/** One entry of the `amr` claim. */
export interface AmrEntry {
  readonly method: string;
  readonly timestamp: number;
}

export interface SessionStart {
  readonly sessionId: string;
  readonly userId: string;
  readonly refreshToken: string;
  readonly method: AuthenticationMethod;
  readonly client: ClientInfo;
  /** The `login` audit row. */
  readonly auditPayload: string;
}

/**
 * Starts a session in one statement: the `auth.sessions` row, its first refresh token, the amr
 * claim for how the user signed in, `last_sign_in_at`, and the audit row. GoTrue's
 * `GrantAuthenticatedUser` + `AddClaimToSession`.
 */
export async function startSession(
  sql: Queryable,
  start: SessionStart,
): Promise<{ amr: AmrEntry[]; lastSignInAt: Date; updatedAt: Date }> {
  const { rows } = await sql.query<{ amr_at: string; last_sign_in_at: Date; updated_at: Date }>(
    `with session as (
       insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
       values ($1, $2, now(), now(), 'aal1', $3, $4::inet) returning id),
     token as (
       insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
       select '${NIL_UUID}', $5, $2::text, false, now(), now(), id from session),
     amr as (
       insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
       select gen_random_uuid(), id, now(), now(), $6 from session returning updated_at),
     signed_in as (
       update auth.users set last_sign_in_at = now(), updated_at = now() where id = $2
       returning last_sign_in_at, updated_at),
     audit as (${auditInsertSql("$7", "$4")})
     select extract(epoch from amr.updated_at)::bigint as amr_at, signed_in.last_sign_in_at, signed_in.updated_at
     from amr, signed_in`,
    [
      start.sessionId,
      start.userId,
      start.client.userAgent,
      start.client.ip,
      start.refreshToken,
      start.method,
      start.auditPayload,
    ],
  );
  const row = rows[0];
  if (!row) throw new Error("the user disappeared while its session was being created");
  return {
    amr: [{ method: start.method, timestamp: Number(row.amr_at) }],
    lastSignInAt: row.last_sign_in_at,
    updatedAt: row.updated_at,
  };
}

/** Ends one session; its refresh tokens and amr claims go with it (foreign keys cascade). */
export async function deleteSession(sql: Queryable, sessionId: string): Promise<void> {
  await sql.query("delete from auth.sessions where id = $1", [sessionId]);
}

/**
 * Ends every session of a user, or every one but `exceptSessionId`. A global sign-out also drops
 * refresh tokens that belong to no session (rows older than sessions, as GoTrue's `Logout`).
 */
export async function deleteUserSessions(
  sql: Queryable,
  userId: string,
  exceptSessionId: string | null,
): Promise<void> {
  await sql.query(
    `with orphans as (
       delete from auth.refresh_tokens where user_id = $1::text and session_id is null and $2::uuid is null)
     delete from auth.sessions where user_id = $1::uuid and ($2::uuid is null or id <> $2::uuid)`,
    [userId, exceptSessionId],
  );
}
