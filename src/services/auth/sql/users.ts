import { quoteIdent } from "../../../db/sql.js";
import type { AuthUser, FactorJson, IdentityRow } from "../types.js";
import { NIL_UUID, type Queryable } from "./queryable.js";

/** The columns of a user and its identities (as one JSON array), for every query that returns a User. */
export const USER_SELECT = `
  u.id, u.aud, u.role, u.email, u.encrypted_password, u.email_confirmed_at, u.invited_at,
  u.confirmation_token, u.confirmation_sent_at, u.recovery_token, u.recovery_sent_at,
  u.email_change_token_new, u.email_change_token_current, u.email_change, u.email_change_sent_at,
  u.email_change_confirm_status, u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data,
  u.phone, u.phone_confirmed_at, u.phone_change, u.phone_change_sent_at, u.confirmed_at,
  u.reauthentication_sent_at, u.created_at, u.updated_at, u.banned_until, u.deleted_at,
  u.is_sso_user, u.is_anonymous,
  coalesce((select json_agg(i order by i.created_at, i.id) from auth.identities i where i.user_id = u.id), '[]') as identities,
  coalesce((select json_agg(json_build_object('id', f.id, 'created_at', f.created_at, 'updated_at', f.updated_at,
     'status', f.status, 'friendly_name', f.friendly_name, 'factor_type', f.factor_type, 'phone', f.phone,
     'last_challenged_at', f.last_challenged_at) order by f.created_at, f.id)
   from auth.mfa_factors f where f.user_id = u.id), '[]') as factors`;

/** Identity timestamps arrive as JSON strings from json_agg; turn them into Dates like the user's. */
export function toAuthUser(row: Record<string, unknown>): AuthUser {
  const identities = (row.identities as Record<string, unknown>[]).map(
    (identity): IdentityRow => ({
      id: identity.id as string,
      provider_id: identity.provider_id as string,
      user_id: identity.user_id as string,
      identity_data: (identity.identity_data as Record<string, unknown> | null) ?? null,
      provider: identity.provider as string,
      last_sign_in_at: toDate(identity.last_sign_in_at),
      created_at: toDate(identity.created_at),
      updated_at: toDate(identity.updated_at),
      email: (identity.email as string | null) ?? null,
    }),
  );
  const factors = ((row.factors as Record<string, unknown>[] | undefined) ?? []).map(
    (factor): FactorJson => ({
      id: factor.id as string,
      created_at: isoTime(factor.created_at),
      updated_at: isoTime(factor.updated_at),
      status: factor.status as string,
      ...(factor.friendly_name ? { friendly_name: factor.friendly_name as string } : {}),
      factor_type: factor.factor_type as string,
      phone: (factor.phone as string | null) ?? null,
      last_challenged_at: factor.last_challenged_at ? isoTime(factor.last_challenged_at) : null,
    }),
  );
  return { ...(row as unknown as AuthUser), identities, factors };
}

function isoTime(value: unknown): string {
  return toDate(value)?.toISOString() ?? "";
}

function toDate(value: unknown): Date | null {
  return typeof value === "string" ? new Date(value) : null;
}

export async function findUserById(sql: Queryable, id: string): Promise<AuthUser | null> {
  const { rows } = await sql.query(`select ${USER_SELECT} from auth.users u where u.id = $1`, [id]);
  return rows[0] ? toAuthUser(rows[0]) : null;
}

/**
 * GoTrue's `FindUserByEmailAndAudience`: case-insensitive, in the audience, not an SSO user.
 * SSO users may share an address; email users never do (unique index).
 */
export async function findUserByEmail(sql: Queryable, email: string, aud: string): Promise<AuthUser | null> {
  const { rows } = await sql.query(
    `select ${USER_SELECT} from auth.users u
     where lower(u.email) = lower($1) and u.aud = $2 and u.is_sso_user = false
     limit 1`,
    [email, aud],
  );
  return rows[0] ? toAuthUser(rows[0]) : null;
}

/** Whether another (non-SSO) user holds this address, in any audience (the unique index's view). */
export async function emailTaken(
  sql: Queryable,
  email: string,
  exceptUserId: string | null,
): Promise<boolean> {
  const { rows } = await sql.query(
    `select 1 from auth.users
     where lower(email) = lower($1) and is_sso_user = false and ($2::uuid is null or id <> $2::uuid)
     limit 1`,
    [email, exceptUserId],
  );
  return rows.length > 0;
}

export interface NewUser {
  readonly id: string;
  readonly aud: string;
  readonly role: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly encryptedPassword: string;
  readonly appMetadata: Record<string, unknown>;
  readonly userMetadata: Record<string, unknown>;
  readonly isAnonymous: boolean;
  readonly confirmed: boolean;
  readonly bannedUntilSeconds: number | null;
}

/**
 * Inserts a user and, when it has an email, its `email` identity. Empty-string token columns, as
 * GoTrue writes them (some tools read them as non-null strings).
 */
export async function insertUser(sql: Queryable, user: NewUser): Promise<void> {
  await sql.query(
    `with created as (
       insert into auth.users (
         instance_id, id, aud, role, email, phone, encrypted_password, raw_app_meta_data, raw_user_meta_data,
         is_anonymous, is_sso_user, email_confirmed_at, banned_until, created_at, updated_at,
         confirmation_token, recovery_token, email_change_token_new, email_change_token_current, email_change,
         phone_change, phone_change_token, reauthentication_token)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false,
               case when $11 then now() end,
               case when $12::float8 is not null then now() + make_interval(secs => $12::float8) end,
               now(), now(), '', '', '', '', '', '', '', '')
       returning id, email, created_at)
     insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
     select id::text, id,
            jsonb_build_object('sub', id::text, 'email', email, 'email_verified', $11, 'phone_verified', false),
            'email', created_at, created_at
     from created where email is not null`,
    [
      NIL_UUID,
      user.id,
      user.aud,
      user.role,
      user.email,
      user.phone,
      user.encryptedPassword,
      JSON.stringify(user.appMetadata),
      JSON.stringify(user.userMetadata),
      user.isAnonymous,
      user.confirmed,
      user.bannedUntilSeconds,
    ],
  );
}

/**
 * GoTrue's `User.Confirm`: stamps `email_confirmed_at`, clears the confirmation token, records
 * `email_verified: true` in the user metadata and on the email identity, drops one-time tokens.
 */
export async function confirmEmail(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with confirmed as (
       update auth.users
       set email_confirmed_at = now(), confirmation_token = '', updated_at = now(),
           raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{"email_verified": true}'
       where id = $1 returning id, email),
     identity as (
       update auth.identities i set identity_data = i.identity_data || '{"email_verified": true}', updated_at = now()
       from confirmed c where i.user_id = c.id and i.provider = 'email' and lower(i.identity_data ->> 'email') = lower(c.email))
     delete from auth.one_time_tokens where user_id = $1`,
    [userId],
  );
}

/** Merges into `raw_user_meta_data` / `raw_app_meta_data`: keys with null values are removed (GoTrue). */
export async function mergeMetadata(
  sql: Queryable,
  userId: string,
  column: "raw_user_meta_data" | "raw_app_meta_data",
  updates: Record<string, unknown>,
): Promise<void> {
  const set = Object.fromEntries(Object.entries(updates).filter(([, value]) => value !== null));
  const removed = Object.keys(updates).filter((key) => updates[key] === null);
  const target = quoteIdent(column);
  await sql.query(
    `update auth.users set ${target} = (coalesce(${target}, '{}') || $2::jsonb) - $3::text[], updated_at = now()
     where id = $1`,
    [userId, JSON.stringify(set), removed],
  );
}

/**
 * Stores a new password hash, clears every pending token (a password change means earlier links
 * are no longer trusted) and ends the user's other sessions; all sessions when `keepSessionId`
 * is null. GoTrue's `UpdatePassword`.
 */
export async function setPassword(
  sql: Queryable,
  userId: string,
  encryptedPassword: string,
  keepSessionId: string | null,
): Promise<void> {
  await sql.query(
    `with updated as (
       update auth.users set encrypted_password = $2, confirmation_token = '', confirmation_sent_at = null,
         recovery_token = '', recovery_sent_at = null, email_change_token_current = '', email_change_token_new = '',
         email_change_sent_at = null, phone_change_token = '', phone_change_sent_at = null,
         reauthentication_token = '', reauthentication_sent_at = null, updated_at = now()
       where id = $1 returning id),
     tokens as (delete from auth.one_time_tokens where user_id = $1)
     delete from auth.sessions where user_id = $1 and ($3::uuid is null or id <> $3::uuid)`,
    [userId, encryptedPassword, keepSessionId],
  );
}

/**
 * The user a token names, and whether the session it names still exists and is within its
 * `not_after` (one round trip for every `[user]` route).
 */
export async function findUserAndSession(
  sql: Queryable,
  userId: string,
  sessionId: string | null,
): Promise<{ user: AuthUser; session: "none" | "found" | "missing" | "expired" } | null> {
  const { rows } = await sql.query(
    `select ${USER_SELECT},
            case when $2::uuid is null then 'none'
                 when s.id is null then 'missing'
                 when s.not_after is not null and s.not_after < now() then 'expired'
                 else 'found' end as session_state
     from auth.users u left join auth.sessions s on s.id = $2::uuid
     where u.id = $1`,
    [userId, sessionId],
  );
  const row = rows[0];
  if (!row) return null;
  return { user: toAuthUser(row), session: row.session_state as "none" | "found" | "missing" | "expired" };
}
