import type { AuthUser, FactorJson, IdentityRow } from "./types.js";

/** GoTrue's User object (reference/auth.md §4); `?` keys are left out when empty, as Go's omitempty does. */
export interface UserJson {
  readonly id: string;
  readonly aud: string;
  readonly role: string;
  readonly email: string;
  readonly email_confirmed_at?: string;
  readonly invited_at?: string;
  readonly phone: string;
  readonly phone_confirmed_at?: string;
  readonly confirmation_sent_at?: string;
  readonly confirmed_at?: string;
  readonly recovery_sent_at?: string;
  readonly new_email?: string;
  readonly email_change_sent_at?: string;
  readonly new_phone?: string;
  readonly phone_change_sent_at?: string;
  readonly reauthentication_sent_at?: string;
  readonly last_sign_in_at?: string;
  readonly app_metadata: Record<string, unknown>;
  readonly user_metadata: Record<string, unknown>;
  readonly identities: readonly IdentityJson[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly banned_until?: string;
  readonly deleted_at?: string;
  readonly is_anonymous: boolean;
  readonly factors?: readonly FactorJson[];
}

/** GoTrue's Identity: note the historical swap, `identity_id` is the row id and `id` the provider's. */
export interface IdentityJson {
  readonly identity_id: string;
  readonly id: string;
  readonly user_id: string;
  readonly identity_data?: Record<string, unknown>;
  readonly provider: string;
  readonly last_sign_in_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly email?: string;
}

const EPOCH = "0001-01-01T00:00:00Z"; // Go's zero time, what GoTrue prints for a NULL created_at

/** Renders a user row as the JSON GoTrue sends. */
export function userJson(user: AuthUser): UserJson {
  return omitEmpty<UserJson>({
    id: user.id,
    aud: user.aud ?? "",
    role: user.role ?? "",
    email: user.email ?? "",
    email_confirmed_at: time(user.email_confirmed_at),
    invited_at: time(user.invited_at),
    phone: user.phone ?? "",
    phone_confirmed_at: time(user.phone_confirmed_at),
    confirmation_sent_at: time(user.confirmation_sent_at),
    confirmed_at: time(user.confirmed_at),
    recovery_sent_at: time(user.recovery_sent_at),
    new_email: user.email_change || undefined,
    email_change_sent_at: time(user.email_change_sent_at),
    new_phone: user.phone_change || undefined,
    phone_change_sent_at: time(user.phone_change_sent_at),
    reauthentication_sent_at: time(user.reauthentication_sent_at),
    last_sign_in_at: time(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: user.identities.map(identityJson),
    created_at: time(user.created_at) ?? EPOCH,
    updated_at: time(user.updated_at) ?? EPOCH,
    banned_until: time(user.banned_until),
    deleted_at: time(user.deleted_at),
    is_anonymous: user.is_anonymous,
    factors: user.factors && user.factors.length > 0 ? user.factors : undefined,
  });
}

function identityJson(identity: IdentityRow): IdentityJson {
  return omitEmpty<IdentityJson>({
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data ?? undefined,
    provider: identity.provider,
    last_sign_in_at: time(identity.last_sign_in_at),
    created_at: time(identity.created_at) ?? EPOCH,
    updated_at: time(identity.updated_at) ?? EPOCH,
    email: identity.email || undefined,
  });
}

function time(value: Date | null): string | undefined {
  return value ? value.toISOString() : undefined;
}

/** Drops undefined values: the keys `omitempty` leaves out of GoTrue's JSON when they are empty. */
function omitEmpty<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
