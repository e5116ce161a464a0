import { AuthError } from "./errors.js";
import type { Queryable } from "./sql/queryable.js";
import type { AuthRuntime } from "./types.js";

/**
 * Why `[auth.sessions]` ends a session at its next refresh (GoTrue's `CheckValidity`), checked in
 * one statement:
 * - `timebox`: the session is older than the timebox, however much it was used;
 * - `inactivity_timeout`: it was last refreshed (or, never refreshed, its refresh token last
 *   changed) longer ago than the timeout;
 * - `single_per_user`: another still-valid session of the user was signed in or refreshed more
 *   recently ("revoked by newer login"; GoTrue ends the older sessions this way, not at sign-in).
 * Timestamps are `refreshed_at` (UTC, without a zone, as GoTrue writes it) or `created_at`.
 */
const LIMITS_SQL = `
  with current_session as (
    select s.id, s.user_id, s.created_at,
           coalesce(s.refreshed_at at time zone 'utc', greatest(rt.updated_at, s.created_at)) as last_refreshed
    from auth.sessions s join auth.refresh_tokens rt on rt.id = $2::bigint
    where s.id = $1)
  select
    ($3::float8 > 0 and now() > c.created_at + make_interval(secs => $3)) as past_timebox,
    ($4::float8 > 0 and now() > c.last_refreshed + make_interval(secs => $4)) as inactive,
    ($5::boolean and exists (
      select 1 from auth.sessions o
      where o.user_id = c.user_id and o.id <> c.id
        and (o.not_after is null or o.not_after > now())
        and ($3::float8 = 0 or now() <= o.created_at + make_interval(secs => $3))
        and ($4::float8 = 0 or now() <= coalesce(o.refreshed_at at time zone 'utc', o.created_at) + make_interval(secs => $4))
        and coalesce(o.refreshed_at at time zone 'utc', o.created_at) > c.last_refreshed)) as newer_login
  from current_session c`;

/**
 * Refuses a refresh of a session that `[auth.sessions]` has ended: 400 `session_expired` with
 * GoTrue's wording for each reason. Costs nothing when no limit is configured.
 */
export async function enforceSessionLimits(
  runtime: AuthRuntime,
  sql: Queryable,
  sessionId: string,
  refreshTokenId: string,
): Promise<void> {
  const { timebox, inactivityTimeout, singlePerUser } = runtime.config.auth.sessions;
  if (timebox === 0 && inactivityTimeout === 0 && !singlePerUser) return;
  const { rows } = await sql.query<{ past_timebox: boolean; inactive: boolean; newer_login: boolean }>(
    LIMITS_SQL,
    [sessionId, refreshTokenId, timebox, inactivityTimeout, singlePerUser],
  );
  const row = rows[0];
  if (!row) return;
  if (row.past_timebox) throw expired("Invalid Refresh Token: Session Expired");
  if (row.inactive) throw expired("Invalid Refresh Token: Session Expired (Inactivity)");
  if (row.newer_login) throw expired("Invalid Refresh Token: Session Expired (Revoked by Newer Login)");
}

function expired(message: string): AuthError {
  return new AuthError(400, "session_expired", message);
}
