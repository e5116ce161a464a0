import type pg from "pg";
import type { TestUserConfig } from "../../config/index.js";

/**
 * Deletes the configured test users, found by email (whatever their id), with what cascades from
 * auth.users (identities, sessions, memberships) and their refresh tokens, which reference users by
 * text. Other users are not touched. Returns the emails removed.
 */
export async function removeTestUsers(
  client: pg.ClientBase,
  users: readonly TestUserConfig[],
): Promise<string[]> {
  const { rows } = await client.query<{ email: string }>(
    `with doomed as (select id from auth.users where lower(email) = any($1::text[]) and is_sso_user = false),
          tokens as (delete from auth.refresh_tokens where user_id in (select id::text from doomed))
     delete from auth.users where id in (select id from doomed) returning email`,
    [users.map((user) => user.email.toLowerCase())],
  );
  return rows.map((row) => row.email).sort();
}
