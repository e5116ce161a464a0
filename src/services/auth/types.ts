/**
 * Glossary (the words of Supabase Auth / GoTrue, which this service speaks)
 * - user: a row of `auth.users`; its JSON form is GoTrue's User object (user-json.ts).
 * - identity: a row of `auth.identities` linking a user to a provider (`email` here).
 * - session: a row of `auth.sessions`; every access token names one in its `session_id` claim.
 * - refresh token: an opaque string in `auth.refresh_tokens`; using one revokes it and issues a
 *   child (rotation). All tokens of one session form its family.
 * - reuse interval: seconds during which a revoked refresh token may still be used
 *   (`refresh_token_reuse_interval`), for clients that lost a response.
 * - autoconfirm: `[auth.email] enable_confirmations = false`; sign-ups are confirmed at once.
 * - one-time token: the hash of an emailed code (recovery, confirmation, email change), stored on
 *   the user row and in `auth.one_time_tokens`.
 * - amr: authentication methods reference, the `amr` claim, from `auth.mfa_amr_claims`.
 * - aal: authenticator assurance level; `aal2` once a session has verified an MFA factor.
 * - factor / challenge: an enrolled TOTP authenticator (`auth.mfa_factors`) and one attempt to
 *   prove it (`auth.mfa_challenges`), answered with a code.
 */
import type { Config } from "../../config/index.js";
import type { Database } from "../../db/pool.js";
import type { AuthHooks } from "./hooks/hooks.js";
import type { Mailer } from "./mailer.js";
import type { AuthMetrics } from "./metrics.js";
import type { RateLimits } from "./rate-limit.js";

/** A row of `auth.users`, as the service reads it. */
export interface UserRow {
  readonly id: string;
  readonly aud: string | null;
  readonly role: string | null;
  readonly email: string | null;
  readonly encrypted_password: string | null;
  readonly email_confirmed_at: Date | null;
  readonly invited_at: Date | null;
  readonly confirmation_token: string | null;
  readonly confirmation_sent_at: Date | null;
  readonly recovery_token: string | null;
  readonly recovery_sent_at: Date | null;
  readonly email_change_token_new: string | null;
  readonly email_change_token_current: string | null;
  readonly email_change: string | null;
  readonly email_change_sent_at: Date | null;
  readonly email_change_confirm_status: number | null;
  readonly last_sign_in_at: Date | null;
  readonly raw_app_meta_data: Record<string, unknown> | null;
  readonly raw_user_meta_data: Record<string, unknown> | null;
  readonly phone: string | null;
  readonly phone_confirmed_at: Date | null;
  readonly phone_change: string | null;
  readonly phone_change_sent_at: Date | null;
  readonly confirmed_at: Date | null;
  readonly reauthentication_sent_at: Date | null;
  readonly created_at: Date | null;
  readonly updated_at: Date | null;
  readonly banned_until: Date | null;
  readonly deleted_at: Date | null;
  readonly is_sso_user: boolean;
  readonly is_anonymous: boolean;
}

/** A row of `auth.identities`. */
export interface IdentityRow {
  readonly id: string;
  readonly provider_id: string;
  readonly user_id: string;
  readonly identity_data: Record<string, unknown> | null;
  readonly provider: string;
  readonly last_sign_in_at: Date | null;
  readonly created_at: Date | null;
  readonly updated_at: Date | null;
  readonly email: string | null;
}

/** An MFA factor as GoTrue's User object lists it (`auth.mfa_factors`, never its secret). */
export interface FactorJson {
  readonly id: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly status: string;
  readonly friendly_name?: string;
  readonly factor_type: string;
  readonly phone: string | null;
  readonly last_challenged_at: string | null;
}

/** A user with its identities and MFA factors: what every response that carries a User needs. */
export interface AuthUser extends UserRow {
  readonly identities: readonly IdentityRow[];
  /** Absent where a user was built without reading its factors (none are listed then). */
  readonly factors?: readonly FactorJson[];
}

/** How the user proved who they are, as GoTrue names it (amr method and hook input). */
export type AuthenticationMethod =
  | "password"
  | "otp"
  | "token_refresh"
  | "anonymous"
  | "email_change"
  | "email/signup"
  | "recovery"
  | "magiclink"
  | "invite"
  | "totp"
  | "mfa/phone"
  | "oauth";

/**
 * Everything the auth service's routes and flows share, built once when the service is
 * registered: the frozen config, the pools, the rate limiters, the mailer and the hook.
 */
export interface AuthRuntime {
  readonly config: Config;
  readonly db: Database;
  readonly limits: RateLimits;
  readonly metrics: AuthMetrics;
  readonly mailer: Mailer;
  /** The configured `[auth.hook.*]` functions; each null when off. */
  readonly hooks: AuthHooks;
  /** True when sign-ups are confirmed at once (`enable_confirmations = false`). */
  readonly autoconfirm: boolean;
}

/** Where a request came from, for sessions and the audit log. */
export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
}
