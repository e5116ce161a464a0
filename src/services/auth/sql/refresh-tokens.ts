import type { AuthUser } from "../types.js";
import { auditInsertSql } from "./audit.js";
import { NIL_UUID, type Queryable } from "./queryable.js";
import type { AmrEntry } from "./sessions.js";
import { toAuthUser, USER_SELECT } from "./users.js";

/** A refresh token row locked for rotation, with its session and user. */
export interface LockedRefreshToken {
  readonly id: string;
  readonly token: string;
  readonly revoked: boolean;
  readonly sessionId: string | null;
  /** True when the token was revoked longer ago than the reuse interval. */
  readonly outsideReuseInterval: boolean;
  readonly sessionExpired: boolean;
  readonly user: AuthUser;
}

/**
 * Locks the token row and its session (`FOR UPDATE SKIP LOCKED`, GoTrue's way of not queueing
 * connections behind a concurrent refresh). "locked" means another request holds them: retry.
 * A token without a session comes back with `sessionId` null, unlocked.
 */
export async function lockRefreshToken(
  sql: Queryable,
  token: string,
  reuseIntervalSeconds: number,
): Promise<LockedRefreshToken | "missing" | "locked"> {
  const { rows } = await sql.query(
    `select rt.id as rt_id, rt.token as rt_token, coalesce(rt.revoked, false) as rt_revoked, rt.session_id as rt_session_id,
            now() > rt.updated_at + make_interval(secs => $2) as rt_outside_reuse,
            coalesce(s.not_after < now(), false) as rt_session_expired,
            ${USER_SELECT}
     from auth.refresh_tokens rt
     join auth.sessions s on s.id = rt.session_id
     join auth.users u on u.id = s.user_id
     where rt.token = $1
     for update of rt, s skip locked`,
    [token, reuseIntervalSeconds],
  );
  const row = rows[0];
  if (row) {
    return {
      id: row.rt_id,
      token: row.rt_token,
      revoked: row.rt_revoked,
      sessionId: row.rt_session_id,
      outsideReuseInterval: row.rt_outside_reuse,
      sessionExpired: row.rt_session_expired,
      user: toAuthUser(row),
    };
  }
  const { rows: plain } = await sql.query(
    `select rt.id, rt.session_id, s.id as session_found, ${USER_SELECT}
     from auth.refresh_tokens rt
     join auth.users u on u.id::text = rt.user_id
     left join auth.sessions s on s.id = rt.session_id
     where rt.token = $1`,
    [token],
  );
  const found = plain[0];
  if (!found) return "missing";
  if (found.session_found === null) {
    return {
      id: found.id,
      token,
      revoked: true,
      sessionId: null,
      outsideReuseInterval: true,
      sessionExpired: false,
      user: toAuthUser(found),
    };
  }
  return "locked";
}

/** The newest unrevoked token of a session (GoTrue's `FindCurrentlyActiveRefreshToken`). */
export async function activeRefreshToken(
  sql: Queryable,
  sessionId: string,
): Promise<{ token: string; parent: string | null } | null> {
  const { rows } = await sql.query<{ token: string; parent: string | null }>(
    `select token, parent from auth.refresh_tokens
     where session_id = $1 and revoked = false order by id desc limit 1`,
    [sessionId],
  );
  return rows[0] ?? null;
}

/** Revokes every live token of the session: the answer to a replayed, used refresh token. */
export async function revokeTokenFamily(sql: Queryable, sessionId: string): Promise<void> {
  await sql.query(
    "update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false",
    [sessionId],
  );
}

/** Deletes a token that belongs to no session (a leftover from before sessions existed). */
export async function deleteRefreshToken(sql: Queryable, id: string): Promise<void> {
  await sql.query("delete from auth.refresh_tokens where id = $1", [id]);
}

export interface Rotation {
  readonly sessionId: string;
  readonly userId: string;
  /** The presented token, revoked by this rotation; null when an issued token is handed back. */
  readonly parent: { readonly id: string; readonly token: string } | null;
  /** The token the response carries: a new child, or the session's active token again. */
  readonly issued: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly refreshedPayload: string;
  readonly revokedPayload: string;
}

/**
 * Records a refresh in one statement: revokes the parent and inserts its child (when rotating),
 * stamps the session's `refreshed_at` / user agent / IP, writes the audit rows, and returns the
 * session's amr claims for the new access token.
 */
export async function recordRefresh(sql: Queryable, rotation: Rotation): Promise<AmrEntry[]> {
  const rotating = rotation.parent !== null;
  const { rows } = await sql.query<{ method: string; at: string }>(
    `with revoked as (
       update auth.refresh_tokens set revoked = true, updated_at = now() where $8 and id = $1::bigint),
     child as (
       insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
       select '${NIL_UUID}', $2, $3, false, now(), now(), $4, $5 where $8),
     session as (
       update auth.sessions set refreshed_at = timezone('utc', now()), updated_at = now(), user_agent = $6, ip = $7::inet
       where id = $5),
     refreshed as (${auditInsertSql("$9", "$7")}),
     revoke_audit as (${auditInsertSql("$10", "$7", "$8")})
     select authentication_method as method, extract(epoch from updated_at)::bigint as at
     from auth.mfa_amr_claims where session_id = $5 order by updated_at desc`,
    [
      rotation.parent?.id ?? "0",
      rotation.issued,
      rotation.userId,
      rotation.parent?.token ?? null,
      rotation.sessionId,
      rotation.userAgent,
      rotation.ip,
      rotating,
      rotation.refreshedPayload,
      rotating ? rotation.revokedPayload : null,
    ],
  );
  return rows.map((row) => ({ method: row.method, timestamp: Number(row.at) }));
}
