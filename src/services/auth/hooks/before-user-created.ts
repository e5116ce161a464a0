import type pg from "pg";
import type { AuthRuntime, AuthUser } from "../types.js";
import { userJson } from "../user-json.js";
import { callHook, decodeOutput, hookMetadata } from "./call.js";

/** A user about to be created, as the hook sees it. */
export interface UserDraft {
  /** The id the user will be created with. */
  readonly id: string;
  readonly aud: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** `app_metadata.provider`: `email`, `anonymous`, or an external provider's name. */
  readonly provider: string;
  readonly userMetadata: Record<string, unknown>;
  readonly isAnonymous: boolean;
}

/**
 * `[auth.hook.before_user_created]`: asks the function before a user is created by sign-up,
 * anonymous sign-in, email OTP, invite, `generateLink` or an external provider (not by
 * `admin.createUser`, as in GoTrue). The call commits on its own, before the user's transaction
 * (for external providers, whose account linking decides inside the sign-in's transaction, it
 * runs in that transaction, so no second connection is taken while one is held); an `error` in
 * its answer refuses the sign-up with that status and message. Nothing happens when the hook is
 * off.
 */
export async function beforeUserCreated(
  runtime: AuthRuntime,
  draft: UserDraft,
  ip: string | null,
  /** The sign-in's transaction, where the user is created inside one (external providers). */
  sql: pg.Pool | pg.ClientBase = runtime.db.admin,
): Promise<void> {
  const hook = runtime.hooks.before_user_created;
  if (!hook) return;
  const output = await callHook(sql, hook, {
    metadata: hookMetadata("before-user-created", ip),
    user: draftJson(draft),
  });
  decodeOutput(output, {});
}

/** The draft of a user an external provider's identity is about to create. */
export function externalUserDraft(
  id: string,
  aud: string,
  identity: {
    readonly provider: string;
    readonly email: string | null;
    readonly data: Record<string, unknown>;
  },
): UserDraft {
  return {
    id,
    aud,
    email: identity.email,
    phone: null,
    provider: identity.provider,
    userMetadata: identity.data,
    isAnonymous: false,
  };
}

/**
 * The draft as GoTrue's User object before insertion: no role yet (GoTrue sets it while
 * inserting), no identities, nothing confirmed.
 */
function draftJson(draft: UserDraft) {
  const now = new Date();
  const user: AuthUser = {
    id: draft.id,
    aud: draft.aud,
    role: "",
    email: draft.email,
    encrypted_password: null,
    email_confirmed_at: null,
    invited_at: null,
    confirmation_token: null,
    confirmation_sent_at: null,
    recovery_token: null,
    recovery_sent_at: null,
    email_change_token_new: null,
    email_change_token_current: null,
    email_change: null,
    email_change_sent_at: null,
    email_change_confirm_status: null,
    last_sign_in_at: null,
    raw_app_meta_data: { provider: draft.provider, providers: [draft.provider] },
    raw_user_meta_data: draft.userMetadata,
    phone: draft.phone,
    phone_confirmed_at: null,
    phone_change: null,
    phone_change_sent_at: null,
    confirmed_at: null,
    reauthentication_sent_at: null,
    created_at: now,
    updated_at: now,
    banned_until: null,
    deleted_at: null,
    is_sso_user: false,
    is_anonymous: draft.isAnonymous,
    identities: [],
  };
  return userJson(user);
}
