import { quoteIdent } from "../../../db/sql.js";
import type { AuthUser } from "../types.js";
import type { Queryable } from "./queryable.js";
import { toAuthUser, USER_SELECT } from "./users.js";

/** GoTrue's admin filter: a substring of the email or of `user_metadata.full_name`. */
const FILTER = `u.aud = $1 and ($2 = '' or u.email ilike '%' || $2 || '%' or u.raw_user_meta_data ->> 'full_name' ilike '%' || $2 || '%')`;

/** One page of an audience's users, newest first (GoTrue's `FindUsersInAudience`), and the total. */
export async function listUsersPage(
  sql: Queryable,
  aud: string,
  filter: string,
  limit: number,
  offset: number,
): Promise<{ users: AuthUser[]; total: number }> {
  const { rows: count } = await sql.query<{ total: string }>(
    `select count(*) as total from auth.users u where ${FILTER}`,
    [aud, filter],
  );
  const { rows } = await sql.query(
    `select ${USER_SELECT} from auth.users u where ${FILTER}
     order by u.created_at desc nulls last, u.id limit $3 offset $4`,
    [aud, filter, limit, offset],
  );
  return { users: rows.map(toAuthUser), total: Number(count[0]?.total ?? 0) };
}

/** The user columns an admin may set directly, with the SQL expression each takes its value through. */
const ADMIN_COLUMNS = {
  role: "$",
  email: "$",
  phone: "$",
  encrypted_password: "$",
  is_anonymous: "$",
  email_confirmed_at: "case when $ then coalesce(email_confirmed_at, now()) else email_confirmed_at end",
  phone_confirmed_at: "case when $ then coalesce(phone_confirmed_at, now()) else phone_confirmed_at end",
  banned_until: "case when $::float8 = 0 then null else now() + make_interval(secs => $::float8) end",
} as const;

export type AdminColumns = Partial<Record<keyof typeof ADMIN_COLUMNS, unknown>>;

/** Sets the given admin columns of one user (parameterised; the names come from the fixed list). */
export async function updateUserColumns(sql: Queryable, userId: string, values: AdminColumns): Promise<void> {
  const entries = Object.entries(values).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  const assignments = entries.map(([column, _value], index) => {
    const expression = ADMIN_COLUMNS[column as keyof typeof ADMIN_COLUMNS].replaceAll("$", `$${index + 2}`);
    return `${quoteIdent(column)} = ${expression}`;
  });
  await sql.query(`update auth.users set ${assignments.join(", ")}, updated_at = now() where id = $1`, [
    userId,
    ...entries.map(([, value]) => value),
  ]);
}

/** Creates or updates the user's `email` identity for an address an admin set. */
export async function upsertEmailIdentity(
  sql: Queryable,
  userId: string,
  email: string,
  verified: boolean,
): Promise<void> {
  await sql.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
     values ($1::uuid::text, $1::uuid, jsonb_build_object('sub', $1::uuid::text, 'email', $2::text, 'email_verified', $3::boolean, 'phone_verified', false),
             'email', now(), now())
     on conflict (provider_id, provider) do update
       set identity_data = auth.identities.identity_data || jsonb_build_object('email', $2::text, 'email_verified', $3::boolean),
           updated_at = now()`,
    [userId, email, verified],
  );
}

/** Deletes a user; identities, sessions and their tokens cascade, session-less tokens go too. */
export async function deleteUser(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with tokens as (delete from auth.refresh_tokens where user_id = $1::uuid::text)
     delete from auth.users where id = $1::uuid`,
    [userId],
  );
}

/**
 * GoTrue's `SoftDeleteUser`: the row stays (for foreign keys and audits) with its addresses
 * replaced by a hash, no password, no pending token, empty metadata, no identity and no session.
 */
export async function softDeleteUser(sql: Queryable, userId: string): Promise<void> {
  await sql.query(
    `with cleared as (
       update auth.users set
         email = case when email is null then null else encode(sha256(convert_to(id::text || email, 'UTF8')), 'base64') end,
         phone = case when phone is null then null else encode(sha256(convert_to(id::text || phone, 'UTF8')), 'base64') end,
         email_change = '', phone_change = '', encrypted_password = null, confirmation_token = '', recovery_token = '',
         email_change_token_current = '', email_change_token_new = '', phone_change_token = '',
         raw_user_meta_data = '{}', raw_app_meta_data = '{}', deleted_at = now(), updated_at = now()
       where id = $1 and deleted_at is null),
     identities as (delete from auth.identities where user_id = $1),
     tokens as (delete from auth.refresh_tokens where user_id = $1::text),
     ott as (delete from auth.one_time_tokens where user_id = $1)
     delete from auth.sessions where user_id = $1`,
    [userId],
  );
}
