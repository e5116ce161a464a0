import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { TokenResponse } from "./access-token.js";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { beforeUserCreated } from "./hooks/before-user-created.js";
import { assertCanSend, type LinkTarget, sendTokenMail } from "./outgoing-mail.js";
import { assertPasswordStrength, hashPassword, verifyPassword } from "./password.js";
import { enforce } from "./rate-limit.js";
import { issueSession } from "./sessions.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { isUniqueViolation, transaction } from "./sql/queryable.js";
import { confirmEmail, findUserByEmail, findUserById, insertUser } from "./sql/users.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";
import { isConfirmed } from "./users.js";

export interface SignUpInput {
  readonly email: string;
  readonly phone: string;
  readonly password: string;
  readonly data: Record<string, unknown> | null;
  readonly aud: string;
}

/** The role GoTrue gives new users (`GOTRUE_JWT_DEFAULT_GROUP_NAME`). */
export const DEFAULT_ROLE = "authenticated";

/**
 * `POST /signup` with an email (GoTrue's `Signup`). With autoconfirm on, the user is confirmed and
 * signed in (token response); otherwise a confirmation mail goes out and the bare user comes
 * back. A duplicate of a confirmed user is 422 `user_already_exists` with autoconfirm on, and an
 * obfuscated fake user (200) with confirmations on, so the answer does not reveal the account.
 */
export async function signUpWithEmail(
  runtime: AuthRuntime,
  input: SignUpInput,
  client: ClientInfo,
  target: LinkTarget,
): Promise<TokenResponse | UserJson> {
  const { config } = runtime;
  if (!config.auth.enableSignup) throw authError("signup_disabled");
  if (input.password === "") throw authError("validation_failed", "Signup requires a valid password", 422);
  assertPasswordStrength(input.password, config.auth);
  if (input.email !== "" && input.phone !== "") {
    throw authError(
      "validation_failed",
      "Only an email address or phone number should be provided on signup.",
      422,
    );
  }
  if (input.phone !== "") throw authError("phone_provider_disabled", "Phone signups are disabled");
  if (!config.auth.email.enableSignup) {
    throw authError("email_provider_disabled", "Email signups are disabled", 400);
  }
  const email = validateEmail(input.email);
  await enforce(runtime.limits.perEmail, `email:${email}`);

  const existing = await findUserByEmail(runtime.db.admin, email, input.aud);
  if (existing && isConfirmed(existing)) return repeatedSignUp(runtime, existing, input, client);
  if (
    existing &&
    runtime.autoconfirm &&
    !(await verifyPassword(input.password, existing.encrypted_password))
  ) {
    // GoTrue would confirm and sign in an unconfirmed account for anyone who signs up with its
    // address; we do that only for the holder of its password.
    throw authError("user_already_exists");
  }
  const encryptedPassword = existing
    ? null
    : await hashPassword(input.password, config.auth.passwordHashCost);
  const newId = existing ? null : await approveEmailUser(runtime, email, input, client.ip);
  try {
    return await transaction(runtime.db.admin, async (tx) => {
      const user =
        existing ?? (await createUser(tx, newId ?? randomUUID(), email, encryptedPassword ?? "", input));
      if (runtime.autoconfirm) {
        await insertAudit(tx, auditPayload("user_signedup", actor(user), { provider: "email" }), client.ip);
        await confirmEmail(tx, user.id);
        return issueSession(runtime, tx, await reload(tx, user.id), "password", client);
      }
      await insertAudit(
        tx,
        auditPayload("user_confirmation_requested", actor(user), { provider: "email" }),
        client.ip,
      );
      await assertCanSend(runtime, tx, user.confirmation_sent_at);
      await sendTokenMail(runtime, tx, user, "signup", email, target);
      return userJson(await reload(tx, user.id));
    });
  } catch (error) {
    // Two sign-ups for one address raced; the loser sees what a later duplicate would.
    if (isUniqueViolation(error)) throw authError("user_already_exists");
    throw error;
  }
}

/**
 * Asks the before_user_created hook (when configured) about a new email user, outside any
 * transaction as GoTrue does; returns the id to create the user with, the one the hook saw.
 */
export async function approveEmailUser(
  runtime: AuthRuntime,
  email: string,
  input: Pick<SignUpInput, "data" | "aud">,
  ip: string | null,
): Promise<string> {
  const id = randomUUID();
  await beforeUserCreated(
    runtime,
    {
      id,
      aud: input.aud,
      email,
      phone: null,
      provider: "email",
      userMetadata: input.data ?? {},
      isAnonymous: false,
    },
    ip,
  );
  return id;
}

/**
 * A new unconfirmed email user with its email identity, reloaded as triggers left it. `id` comes
 * from {@link approveEmailUser}.
 */
export async function createUser(
  tx: pg.ClientBase,
  id: string,
  email: string,
  encryptedPassword: string,
  input: Pick<SignUpInput, "data" | "aud">,
): Promise<AuthUser> {
  await insertUser(tx, {
    id,
    aud: input.aud,
    role: DEFAULT_ROLE,
    email,
    phone: null,
    encryptedPassword,
    appMetadata: { provider: "email", providers: ["email"] },
    userMetadata: input.data ?? {},
    isAnonymous: false,
    confirmed: false,
    bannedUntilSeconds: null,
  });
  // Triggers on auth.users may have changed the row (GoTrue reloads for the same reason).
  return reload(tx, id);
}

/**
 * Rethrows a unique violation on auth.users' address as GoTrue's 422 `email_exists`: for callers
 * of {@link createUser} whose user lookup missed a holder of the address (another audience, from
 * X-JWT-Aud, or a concurrent request). Anything else is rethrown as it is.
 */
export function rethrowEmailTaken(error: unknown): never {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  if (isUniqueViolation(error) && typeof constraint === "string" && constraint.includes("email")) {
    throw authError("email_exists");
  }
  throw error;
}

/** The user as the transaction now sees it. */
export async function reload(tx: pg.ClientBase, id: string): Promise<AuthUser> {
  const user = await findUserById(tx, id);
  if (!user) throw authError("user_not_found"); // deleted by an admin meanwhile
  return user;
}

async function repeatedSignUp(
  runtime: AuthRuntime,
  existing: AuthUser,
  input: SignUpInput,
  client: ClientInfo,
): Promise<UserJson> {
  await insertAudit(
    runtime.db.admin,
    auditPayload("user_repeated_signup", actor(existing), { provider: "email" }),
    client.ip,
  );
  if (runtime.autoconfirm) throw authError("user_already_exists");
  return obfuscatedUser(existing, input);
}

/**
 * GoTrue's `sanitizeUser`: a plausible user with a fresh random id and no identities, so a
 * duplicate sign-up looks like a new one. auth-js recognises it by its empty `identities`.
 */
function obfuscatedUser(existing: AuthUser, input: SignUpInput): UserJson {
  const now = new Date();
  return userJson({
    ...existing,
    id: randomUUID(),
    aud: input.aud,
    phone: null,
    created_at: now,
    updated_at: now,
    confirmation_sent_at: now,
    last_sign_in_at: null,
    confirmed_at: null,
    email_confirmed_at: null,
    phone_confirmed_at: null,
    raw_app_meta_data: { provider: "email", providers: ["email"] },
    raw_user_meta_data: input.data ?? {},
    identities: [],
  });
}

/** `POST /signup` with neither email nor phone: an anonymous user, signed in at once. */
export async function signUpAnonymously(
  runtime: AuthRuntime,
  data: Record<string, unknown> | null,
  aud: string,
  client: ClientInfo,
): Promise<TokenResponse> {
  if (!runtime.config.auth.enableSignup) throw authError("signup_disabled");
  const id = randomUUID();
  await beforeUserCreated(
    runtime,
    { id, aud, email: null, phone: null, provider: "anonymous", userMetadata: data ?? {}, isAnonymous: true },
    client.ip,
  );
  return transaction(runtime.db.admin, async (tx) => {
    await insertUser(tx, {
      id,
      aud,
      role: DEFAULT_ROLE,
      email: null,
      phone: null,
      encryptedPassword: "",
      appMetadata: { provider: "anonymous", providers: ["anonymous"] },
      userMetadata: data ?? {},
      isAnonymous: true,
      confirmed: false,
      bannedUntilSeconds: null,
    });
    return issueSession(runtime, tx, await reload(tx, id), "anonymous", client);
  });
}

function actor(user: AuthUser) {
  return { id: user.id, name: user.email };
}
