import type { AuthUser } from "../types.js";
import type { Queryable } from "./queryable.js";
import { toAuthUser, USER_SELECT } from "./users.js";

/**
 * GoTrue's `FindUserByPhoneAndAudience`: the user with this number (digits, no `+`) in the
 * audience; with `lock`, row-locked for a verification.
 */
export async function findUserByPhone(
  sql: Queryable,
  phone: string,
  aud: string,
  lock = false,
): Promise<AuthUser | null> {
  const { rows } = await sql.query(
    `select ${USER_SELECT} from auth.users u where u.phone = $1 and u.aud = $2 and u.is_sso_user = false
     limit 1${lock ? " for update of u" : ""}`,
    [phone, aud],
  );
  return rows[0] ? toAuthUser(rows[0]) : null;
}

/** Adds the `phone` identity GoTrue gives a user who signs up with a number. */
export async function insertPhoneIdentity(sql: Queryable, userId: string, phone: string): Promise<void> {
  await sql.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
     values ($1::uuid::text, $1::uuid, jsonb_build_object('sub', $1::uuid::text, 'phone', $2::text, 'email_verified', false,
             'phone_verified', false), 'phone', now(), now())`,
    [userId, phone],
  );
}

/** Stores the hash of the code just sent (GoTrue's `confirmation_token` for phone codes). */
export async function storePhoneCode(
  sql: Queryable,
  userId: string,
  phone: string,
  hash: string,
): Promise<void> {
  await sql.query(
    `with stamped as (
       update auth.users set confirmation_token = $2, confirmation_sent_at = now(), updated_at = now()
       where id = $1)
     insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
     values (gen_random_uuid(), $1, 'confirmation_token', $2, $3, now(), now())
     on conflict (user_id, token_type) do update
       set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`,
    [userId, hash, phone],
  );
}

/**
 * GoTrue's `User.ConfirmPhone`: stamps `phone_confirmed_at` (kept when already set), spends the
 * code (its sent-at stays, so `max_frequency` still spaces the next one), and records `phone_verified` on the phone identity; an anonymous user is one no longer.
 */
export async function confirmPhone(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with confirmed as (
       update auth.users
       set phone_confirmed_at = coalesce(phone_confirmed_at, now()), confirmation_token = '',
           is_anonymous = false, updated_at = now()
       where id = $1 returning id),
     identity as (
       update auth.identities i set identity_data = i.identity_data || '{"phone_verified": true}', updated_at = now()
       from confirmed c where i.user_id = c.id and i.provider = 'phone')
     delete from auth.one_time_tokens where user_id = $1 and token_type = 'confirmation_token'`,
    [userId],
  );
}

/** Stores a pending phone change: the new number and the hash of the code sent to it. */
export async function storePhoneChangeCode(
  sql: Queryable,
  userId: string,
  phone: string,
  hash: string,
): Promise<void> {
  await sql.query(
    `with stamped as (
       update auth.users set phone_change = $3, phone_change_token = $2, phone_change_sent_at = now(), updated_at = now()
       where id = $1)
     insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
     values (gen_random_uuid(), $1, 'phone_change_token', $2, $3, now(), now())
     on conflict (user_id, token_type) do update
       set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`,
    [userId, hash, phone],
  );
}

/** The user whose pending phone change is to `phone`, row-locked, with the change's code hash. */
export async function lockUserByPhoneChange(
  sql: Queryable,
  phone: string,
  aud: string,
): Promise<{ user: AuthUser; token: string } | null> {
  const { rows } = await sql.query(
    `select ${USER_SELECT}, u.phone_change_token as pending_token from auth.users u
     where u.phone_change = $1 and u.aud = $2 and u.is_sso_user = false limit 1 for update of u`,
    [phone, aud],
  );
  const row = rows[0];
  return row ? { user: toAuthUser(row), token: String(row.pending_token ?? "") } : null;
}

/**
 * GoTrue's `User.ConfirmPhoneChange`: the pending number becomes the user's, confirmed; the phone
 * identity is created or updated to it, and `app_metadata.providers` follows the identities.
 */
export async function confirmPhoneChange(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with changed as (
       update auth.users
       set phone = phone_change, phone_confirmed_at = now(), phone_change = '', phone_change_token = '',
           is_anonymous = false, updated_at = now()
       where id = $1 and coalesce(phone_change, '') <> '' returning id, phone),
     updated as (
       update auth.identities i set identity_data = i.identity_data || jsonb_build_object('phone', c.phone, 'phone_verified', true),
         updated_at = now()
       from changed c where i.user_id = c.id and i.provider = 'phone' returning i.id),
     created as (
       insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
       select c.id::text, c.id, jsonb_build_object('sub', c.id::text, 'phone', c.phone, 'email_verified', false,
              'phone_verified', true), 'phone', now(), now()
       from changed c where not exists (select from updated))
     delete from auth.one_time_tokens where user_id = $1 and token_type = 'phone_change_token'`,
    [userId],
  );
}
