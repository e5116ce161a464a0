import { randomUUID } from "node:crypto";
import { NIL_UUID, type Queryable } from "./queryable.js";

/** The user an external identity signs in, or a new one (GoTrue's account linking, in short). */
export interface ExternalIdentity {
  readonly provider: string;
  readonly providerId: string;
  /** The address a new user is signed up with (the provider's primary one), and whether it is verified. */
  readonly email: string | null;
  readonly emailVerified: boolean;
  /** Addresses that may link the identity to an existing user: the verified ones (all under autoconfirm). */
  readonly linkEmails: readonly string[];
  readonly data: Record<string, unknown>;
}

/** What may happen when no user is found: sign-ups allowed, and with an unverified address. */
export interface SignUpPolicy {
  readonly signupAllowed: boolean;
  readonly unverifiedAllowed: boolean;
  /**
   * Asked, with the id the new user will get, just before a user is created (the
   * before_user_created hook); throwing refuses the sign-up.
   */
  readonly beforeCreate?: (userId: string) => Promise<void>;
}

export type ExternalSignIn =
  | { readonly userId: string; readonly created: boolean }
  | "email_taken"
  | "multiple_accounts"
  | "signup_disabled"
  | "needs_verification";

/**
 * Finds or makes the user of an external identity, in GoTrue's order
 * (`DetermineAccountLinking`):
 * 1. the identity is known: its user, with the identity's data refreshed;
 * 2. one of the addresses the provider verified belongs to a user: the identity is linked to
 *    that user (and the provider added to `app_metadata.providers`); two users is a conflict;
 * 3. otherwise a new user with the primary address, confirmed when the provider verified it.
 * An unverified address that belongs to another user is never linked ("email_taken").
 */
export async function signInExternalIdentity(
  sql: Queryable,
  identity: ExternalIdentity,
  aud: string,
  policy: SignUpPolicy,
): Promise<ExternalSignIn> {
  const data = JSON.stringify(identity.data);
  const { rows: known } = await sql.query<{ user_id: string }>(
    `with known as (
       update auth.identities set identity_data = $3::jsonb, last_sign_in_at = now(), updated_at = now()
       where provider = $1 and provider_id = $2 returning user_id)
     update auth.users u set raw_user_meta_data = coalesce(u.raw_user_meta_data, '{}') || $3::jsonb, updated_at = now()
     from known where u.id = known.user_id
     returning known.user_id`,
    [identity.provider, identity.providerId, data],
  );
  // As GoTrue's `UpdateUserMetaData`: what the provider says now (a new name, avatar...) is merged
  // into the user's metadata on every sign-in.
  if (known[0]) return { userId: known[0].user_id, created: false };
  if (identity.linkEmails.length > 0) {
    const { rows: owners } = await sql.query<{ id: string }>(
      `select id from auth.users
       where lower(email) = any(select lower(address) from unnest($1::text[]) address) and is_sso_user = false
       order by created_at limit 2`,
      [identity.linkEmails],
    );
    if (owners.length > 1) return "multiple_accounts";
    const owner = owners[0];
    if (owner) {
      await takeOverUnconfirmed(sql, owner.id, identity);
      await attachIdentity(sql, owner.id, identity);
      return { userId: owner.id, created: false };
    }
  }
  if (identity.email !== null) {
    const { rows: owners } = await sql.query<{ id: string }>(
      "select id from auth.users where lower(email) = lower($1) and is_sso_user = false limit 1",
      [identity.email],
    );
    if (owners[0]) return "email_taken";
  }
  if (!policy.signupAllowed) return "signup_disabled";
  if (identity.email !== null && !identity.emailVerified && !policy.unverifiedAllowed) {
    return "needs_verification";
  }
  const userId = randomUUID();
  await policy.beforeCreate?.(userId);
  const { rows } = await sql.query<{ id: string }>(
    `with created as (
       insert into auth.users (
         instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
         is_anonymous, is_sso_user, email_confirmed_at, created_at, updated_at,
         confirmation_token, recovery_token, email_change_token_new, email_change_token_current, email_change,
         phone_change, phone_change_token, reauthentication_token)
       values ($1, $8, $2, 'authenticated', $3, '',
               jsonb_build_object('provider', $4::text, 'providers', jsonb_build_array($4::text)), $5::jsonb,
               false, false, case when $6 then now() end, now(), now(), '', '', '', '', '', '', '', '')
       returning id)
     insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
     select $7, id, $5::jsonb, $4, now(), now(), now() from created
     returning user_id as id`,
    [
      NIL_UUID,
      aud,
      identity.email,
      identity.provider,
      data,
      identity.emailVerified || policy.unverifiedAllowed,
      identity.providerId,
      userId,
    ],
  );
  return { userId: (rows[0] as { id: string }).id, created: true };
}

/**
 * GoTrue's `RemoveUnconfirmedIdentities`, for a user found by an address the provider verified
 * whose own address and phone were never confirmed: whoever made that account (with a password,
 * perhaps to wait for its owner) never proved the address, so its password, its other
 * identities and its metadata go, the provider's data takes their place, and the address counts
 * as confirmed now that the provider vouched for it. Nothing happens to a confirmed user.
 */
async function takeOverUnconfirmed(
  sql: Queryable,
  userId: string,
  identity: ExternalIdentity,
): Promise<void> {
  await sql.query(
    `with unconfirmed as (
       select id from auth.users
       where id = $1 and email_confirmed_at is null and phone_confirmed_at is null),
     removed as (delete from auth.identities where user_id in (select id from unconfirmed))
     update auth.users set encrypted_password = '', raw_user_meta_data = $2::jsonb,
       raw_app_meta_data = jsonb_set(coalesce(raw_app_meta_data, '{}'), '{providers}', '[]'),
       email_confirmed_at = now(), confirmation_token = '', updated_at = now()
     where id in (select id from unconfirmed)`,
    [userId, JSON.stringify(identity.data)],
  );
}

/** Adds an identity to a user and its provider to `app_metadata.providers`. */
async function attachIdentity(sql: Queryable, userId: string, identity: ExternalIdentity): Promise<void> {
  await sql.query(
    `with linked as (
       insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
       values ($2, $3, $4::jsonb, $1, now(), now(), now()))
     update auth.users set updated_at = now(),
       raw_app_meta_data = jsonb_set(coalesce(raw_app_meta_data, '{}'), '{providers}',
         (select coalesce(jsonb_agg(distinct p), '[]') from jsonb_array_elements_text(
            coalesce(raw_app_meta_data -> 'providers', '[]') || to_jsonb($1::text)) p))
     where id = $3`,
    [identity.provider, identity.providerId, userId, JSON.stringify(identity.data)],
  );
}

/**
 * `linkIdentity`: attaches the external identity to the signed-in user who asked; "taken" when
 * it already belongs to another user (GoTrue's `identity_already_exists`).
 */
export async function linkExternalIdentity(
  sql: Queryable,
  userId: string,
  identity: ExternalIdentity,
): Promise<{ userId: string; created: boolean } | "taken"> {
  const { rows } = await sql.query<{ user_id: string }>(
    `update auth.identities set identity_data = $3::jsonb, last_sign_in_at = now(), updated_at = now()
     where provider = $1 and provider_id = $2 returning user_id`,
    [identity.provider, identity.providerId, JSON.stringify(identity.data)],
  );
  const existing = rows[0];
  if (existing) return existing.user_id === userId ? { userId, created: false } : "taken";
  await attachIdentity(sql, userId, identity);
  return { userId, created: false };
}

/**
 * `unlinkIdentity`: removes one of the user's identities and its provider from
 * `app_metadata.providers`. The caller checks the user keeps at least one.
 */
export async function unlinkIdentity(sql: Queryable, userId: string, identityId: string): Promise<void> {
  await sql.query(
    `with removed as (delete from auth.identities where id = $2 and user_id = $1 returning id)
     update auth.users u set updated_at = now(),
       raw_app_meta_data = jsonb_set(coalesce(u.raw_app_meta_data, '{}'), '{providers}',
         (select coalesce(jsonb_agg(distinct i.provider), '[]') from auth.identities i
          where i.user_id = $1 and i.id not in (select id from removed)))
     where u.id = $1`,
    [userId, identityId],
  );
}
