import { quoteIdent } from "../../../db/sql.js";
import type { AuthUser } from "../types.js";
import type { Queryable } from "./queryable.js";
import { toAuthUser, USER_SELECT } from "./users.js";

/** The emailed-code types `/verify` accepts, and the user columns holding their token hashes. */
export const TOKEN_COLUMNS = {
  signup: ["confirmation_token"],
  invite: ["confirmation_token"],
  recovery: ["recovery_token"],
  magiclink: ["recovery_token"],
  email_change: ["email_change_token_current", "email_change_token_new"],
  email: ["confirmation_token", "recovery_token"],
} as const;

export type VerificationType = keyof typeof TOKEN_COLUMNS;

/** The user holding `hash` in one of the type's token columns, row-locked for the verification. */
export async function lockUserByTokenHash(
  sql: Queryable,
  type: VerificationType,
  hash: string,
): Promise<AuthUser | null> {
  // A PKCE flow's hash is stored with the `pkce_` prefix; a token_hash may come without it.
  const match = TOKEN_COLUMNS[type]
    .map((column) => `u.${quoteIdent(column)} in ($1::text, 'pkce_' || $1::text)`)
    .join(" or ");
  const { rows } = await sql.query(
    `select ${USER_SELECT} from auth.users u where ${match} limit 1 for update of u`,
    [hash],
  );
  return rows[0] ? toAuthUser(rows[0]) : null;
}

/**
 * The user an emailed code was sent to: by address, or for an email change by the old address
 * (current-address code) or the new one (`email_change`), row-locked.
 */
export async function lockUserByAddress(
  sql: Queryable,
  type: VerificationType,
  email: string,
  aud: string,
): Promise<AuthUser | null> {
  const where =
    type === "email_change"
      ? "(lower(u.email) = lower($1) or lower(u.email_change) = lower($1))"
      : "lower(u.email) = lower($1)";
  const { rows } = await sql.query(
    `select ${USER_SELECT} from auth.users u where ${where} and u.aud = $2 and u.is_sso_user = false
     order by (lower(u.email) = lower($1)) desc limit 1 for update of u`,
    [email, aud],
  );
  return rows[0] ? toAuthUser(rows[0]) : null;
}

/** GoTrue's `User.Recover`: the recovery token is spent. */
export async function spendRecoveryToken(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with spent as (update auth.users set recovery_token = '', updated_at = now() where id = $1)
     delete from auth.one_time_tokens where user_id = $1`,
    [userId],
  );
}

/** Records one of the two confirmations of a secure email change (both addresses must confirm). */
export async function confirmOneEmailChangeToken(
  sql: Queryable,
  userId: string,
  column: "email_change_token_current" | "email_change_token_new",
): Promise<void> {
  const type = column;
  await sql.query(
    `with marked as (
       update auth.users set email_change_confirm_status = 1, ${quoteIdent(column)} = '', updated_at = now()
       where id = $1)
     delete from auth.one_time_tokens where user_id = $1 and token_type = $2::auth.one_time_token_type`,
    [userId, type],
  );
}

/**
 * GoTrue's `ConfirmEmailChange`: the new address becomes the user's email (and the email
 * identity's), pending tokens are cleared, an anonymous user becomes permanent.
 */
export async function applyEmailChange(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with changed as (
       update auth.users
       set email = email_change, email_change = '', email_change_token_current = '', email_change_token_new = '',
           email_change_confirm_status = 0, is_anonymous = false, updated_at = now()
       where id = $1 returning id, email),
     identity as (
       insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
       select id::text, id, jsonb_build_object('sub', id::text, 'email', email, 'email_verified', true, 'phone_verified', false),
              'email', now(), now()
       from changed
       on conflict (provider_id, provider) do update
         set identity_data = auth.identities.identity_data || jsonb_build_object('email', excluded.identity_data ->> 'email', 'email_verified', true),
             updated_at = now())
     delete from auth.one_time_tokens where user_id = $1`,
    [userId],
  );
}

/** GoTrue's `UpdateAppMetaDataProviders`: `providers` lists the user's identity providers. */
export async function syncProviders(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `update auth.users u
     set raw_app_meta_data = coalesce(u.raw_app_meta_data, '{}') || jsonb_build_object('providers', p.providers)
         || case when jsonb_array_length(p.providers) > 0 then jsonb_build_object('provider', p.providers -> 0) else '{}' end
     from (select coalesce(jsonb_agg(distinct provider), '[]') as providers from auth.identities where user_id = $1) p
     where u.id = $1`,
    [userId],
  );
}
