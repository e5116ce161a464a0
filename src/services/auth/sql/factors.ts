import { auditInsertSql } from "./audit.js";
import { NIL_UUID, type Queryable } from "./queryable.js";
import type { AmrEntry } from "./sessions.js";

/** A row of `auth.mfa_factors` as the MFA endpoints read it (the secret stays server-side). */
export interface FactorRow {
  readonly id: string;
  readonly userId: string;
  readonly friendlyName: string | null;
  readonly factorType: string;
  readonly status: "verified" | "unverified";
  readonly secret: string | null;
  /** A phone factor's number (E.164 digits). */
  readonly phone: string | null;
}

/** A challenge of a factor, with whether it outlived the challenge expiry. */
export interface ChallengeRow {
  readonly id: string;
  readonly ip: string;
  readonly verified: boolean;
  readonly expired: boolean;
  /** A phone factor's challenge: the hash of the code sent. */
  readonly otpCode: string | null;
}

const FACTOR_COLUMNS = `id, user_id as "userId", friendly_name as "friendlyName", factor_type::text as "factorType",
  status::text as status, secret, phone`;

/**
 * The user's factors after dropping unverified ones older than `expirySeconds` (GoTrue's
 * `DeleteExpiredFactors`: an abandoned enrolment does not block the next one for long).
 */
export async function currentFactors(
  sql: Queryable,
  userId: string,
  expirySeconds: number,
): Promise<FactorRow[]> {
  const { rows } = await sql.query<FactorRow>(
    `with expired as (
       delete from auth.mfa_factors
       where user_id = $1 and status = 'unverified' and created_at < now() - make_interval(secs => $2)
       returning id)
     select ${FACTOR_COLUMNS} from auth.mfa_factors
     where user_id = $1 and id not in (select id from expired) order by created_at`,
    [userId, expirySeconds],
  );
  return rows;
}

/** Inserts an unverified TOTP factor and its `factor_in_progress` audit row. */
export async function insertTotpFactor(
  sql: Queryable,
  factor: { id: string; userId: string; friendlyName: string; secret: string },
  audit: { payload: string; ip: string | null },
): Promise<void> {
  await sql.query(
    `with factor as (
       insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
       values ($1, $2, $3, 'totp', 'unverified', now(), now(), $4))
     ${auditInsertSql("$5", "$6")}`,
    [factor.id, factor.userId, factor.friendlyName, factor.secret, audit.payload, audit.ip],
  );
}

/** Inserts an unverified phone factor and its `factor_in_progress` audit row. */
export async function insertPhoneFactor(
  sql: Queryable,
  factor: { id: string; userId: string; friendlyName: string; phone: string },
  audit: { payload: string; ip: string | null },
): Promise<void> {
  await sql.query(
    `with factor as (
       insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, phone)
       values ($1, $2, $3, 'phone', 'unverified', now(), now(), $4))
     ${auditInsertSql("$5", "$6")}`,
    [factor.id, factor.userId, factor.friendlyName, factor.phone, audit.payload, audit.ip],
  );
}

/** A factor of this user (GoTrue's `FindOwnedFactorByID`), or null. */
export async function findOwnedFactor(
  sql: Queryable,
  userId: string,
  factorId: string,
): Promise<FactorRow | null> {
  const { rows } = await sql.query<FactorRow>(
    `select ${FACTOR_COLUMNS} from auth.mfa_factors where id = $1 and user_id = $2`,
    [factorId, userId],
  );
  return rows[0] ?? null;
}

/**
 * Records a challenge from `ip` (for a phone factor, with the hash of the code sent) and stamps
 * the factor's `last_challenged_at`.
 */
export async function insertChallenge(
  sql: Queryable,
  challenge: { id: string; factorId: string; ip: string; otpCode?: string },
  audit: { payload: string },
): Promise<Date> {
  const { rows } = await sql.query<{ created_at: Date }>(
    `with challenged as (
       update auth.mfa_factors set last_challenged_at = clock_timestamp(), updated_at = now() where id = $2),
     audit as (${auditInsertSql("$4", "$3")})
     insert into auth.mfa_challenges (id, factor_id, created_at, ip_address, otp_code)
     values ($1, $2, now(), $3::inet, $5) returning created_at`,
    [challenge.id, challenge.factorId, challenge.ip, audit.payload, challenge.otpCode ?? null],
  );
  return (rows[0] as { created_at: Date }).created_at;
}

/** The challenge of this factor, or null. */
export async function findChallenge(
  sql: Queryable,
  factorId: string,
  challengeId: string,
  expirySeconds: number,
): Promise<ChallengeRow | null> {
  const { rows } = await sql.query<ChallengeRow>(
    `select id, host(ip_address) as ip, verified_at is not null as verified,
            created_at + make_interval(secs => $3) < now() as expired, otp_code as "otpCode"
     from auth.mfa_challenges where id = $1 and factor_id = $2`,
    [challengeId, factorId, expirySeconds],
  );
  return rows[0] ?? null;
}

export async function deleteChallenge(sql: Queryable, challengeId: string): Promise<void> {
  await sql.query("delete from auth.mfa_challenges where id = $1", [challengeId]);
}

/** The assurance level stored on a session row (`aal1` when unset). */
export async function sessionLevel(sql: Queryable, sessionId: string): Promise<string> {
  const { rows } = await sql.query<{ aal: string | null }>(
    "select aal::text as aal from auth.sessions where id = $1",
    [sessionId],
  );
  return rows[0]?.aal ?? "aal1";
}

export interface Upgrade {
  readonly userId: string;
  readonly sessionId: string;
  readonly factorId: string;
  readonly challengeId: string;
  readonly refreshToken: string;
  readonly auditPayload: string;
  readonly ip: string | null;
  /** The amr method the factor proves (`totp`, `mfa/phone`) and its factor type. */
  readonly method: "totp" | "mfa/phone";
  readonly factorType: string;
}

/**
 * A verified challenge raises its session to aal2, as GoTrue's `verifyTOTPFactor` +
 * `updateMFASessionAndClaims` do: the challenge is marked verified, the factor becomes verified,
 * an amr claim of its method (`totp`, `mfa/phone`) is added (or refreshed), the session's live refresh token is swapped for a
 * new one (the aal1 token can no longer refresh), other sessions still at aal1 end, and other
 * unverified factors of the same type go. Returns the session's amr claims, newest first.
 */
export async function upgradeSession(sql: Queryable, upgrade: Upgrade): Promise<AmrEntry[]> {
  await sql.query(
    `with challenge as (update auth.mfa_challenges set verified_at = now() where id = $4),
     factor as (update auth.mfa_factors set status = 'verified', updated_at = now() where id = $3 and status = 'unverified'),
     claim as (
       insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
       values (gen_random_uuid(), $2, now(), now(), $8)
       on conflict (session_id, authentication_method) do update set updated_at = excluded.updated_at),
     live as (
       select id, token from auth.refresh_tokens where session_id = $2 and revoked = false
       order by id desc limit 1 for update),
     revoked as (update auth.refresh_tokens set revoked = true, updated_at = now() where id in (select id from live)),
     child as (
       insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
       values ('${NIL_UUID}', $5, $1::text, false, now(), now(), (select token from live), $2)),
     session as (update auth.sessions set aal = 'aal2', factor_id = $3, updated_at = now() where id = $2),
     weaker as (delete from auth.sessions where user_id = $1::uuid and id <> $2 and aal < 'aal2'),
     unverified as (
       delete from auth.mfa_factors where user_id = $1::uuid and id <> $3 and factor_type = $9::auth.factor_type
         and status = 'unverified')
     ${auditInsertSql("$6", "$7")}`,
    [
      upgrade.userId,
      upgrade.sessionId,
      upgrade.factorId,
      upgrade.challengeId,
      upgrade.refreshToken,
      upgrade.auditPayload,
      upgrade.ip,
      upgrade.method,
      upgrade.factorType,
    ],
  );
  // Read after the statement: a CTE's own writes are invisible to its siblings.
  const { rows } = await sql.query<{ method: string; at: string }>(
    `select authentication_method as method, extract(epoch from updated_at)::bigint as at
     from auth.mfa_amr_claims where session_id = $1 order by updated_at desc`,
    [upgrade.sessionId],
  );
  return rows.map((row) => ({ method: row.method, timestamp: Number(row.at) }));
}

/**
 * Removes a factor; sessions it raised to aal2 lose its claim and fall back to aal1 (GoTrue's
 * `DowngradeSessionsToAAL1`).
 */
export async function deleteFactor(
  sql: Queryable,
  factorId: string,
  audit: { payload: string; ip: string | null },
): Promise<void> {
  await sql.query(
    `with sessions as (
       update auth.sessions set aal = 'aal1', factor_id = null, updated_at = now() where factor_id = $1 returning id),
     claims as (
       delete from auth.mfa_amr_claims where authentication_method = 'totp' and session_id in (select id from sessions)),
     factor as (delete from auth.mfa_factors where id = $1)
     ${auditInsertSql("$2", "$3")}`,
    [factorId, audit.payload, audit.ip],
  );
}
