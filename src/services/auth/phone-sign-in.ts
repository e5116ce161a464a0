import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { TokenResponse } from "./access-token.js";
import { authError } from "./errors.js";
import { beforeUserCreated } from "./hooks/before-user-created.js";
import { assertPasswordStrength, hashPassword } from "./password.js";
import {
  assertPhoneEnabled,
  phoneCodeMatches,
  sendPhoneCode,
  smsAutoconfirm,
  validatePhone,
} from "./phone.js";
import { enforce } from "./rate-limit.js";
import { issueSession } from "./sessions.js";
import { DEFAULT_ROLE, reload } from "./sign-up.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import {
  confirmPhone,
  confirmPhoneChange,
  findUserByPhone,
  insertPhoneIdentity,
  lockUserByPhoneChange,
} from "./sql/phone-users.js";
import { isUniqueViolation, transaction } from "./sql/queryable.js";
import { insertUser } from "./sql/users.js";
import { syncProviders } from "./sql/verification.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";
import { isBanned } from "./users.js";

/** `POST /otp` with a phone answers `{message_id}` (GoTrue's `SmsOtpResponse`; empty: `{}`). */
export type PhoneOtpResponse = { readonly message_id?: string };

/**
 * `POST /signup` with a phone and password (GoTrue's `Signup` for the phone provider). With
 * `[auth.sms] enable_confirmations = false` the user is confirmed and signed in at once;
 * otherwise a code goes out and the bare user comes back. A number a confirmed user holds is 422
 * `user_already_exists`.
 */
export async function signUpWithPhone(
  runtime: AuthRuntime,
  input: { phone: string; password: string; data: Record<string, unknown> | null; aud: string },
  client: ClientInfo,
): Promise<TokenResponse | UserJson> {
  assertPhoneEnabled(runtime, "Phone signups are disabled");
  if (!runtime.config.auth.enableSignup) throw authError("signup_disabled");
  if (input.password === "") throw authError("validation_failed", "Signup requires a valid password", 422);
  assertPasswordStrength(input.password, runtime.config.auth);
  const phone = validatePhone(input.phone);
  await enforce(runtime.limits.perEmail, `phone:${phone}`);
  const existing = await findUserByPhone(runtime.db.admin, phone, input.aud);
  if (existing?.phone_confirmed_at) {
    await insertAudit(
      runtime.db.admin,
      auditPayload("user_repeated_signup", actor(existing), { provider: "phone" }),
      client.ip,
    );
    throw authError("user_already_exists");
  }
  // Hashed only for a new user: an existing holder of the number keeps its password, as in sign-up.
  const encryptedPassword = existing
    ? null
    : await hashPassword(input.password, runtime.config.auth.passwordHashCost);
  const newId = existing ? null : await approvePhoneUser(runtime, phone, input, client.ip);
  return withPhoneTaken(
    transaction(runtime.db.admin, async (tx) => {
      // As GoTrue: an unconfirmed holder of the number is not changed (its claim is unproven).
      const user =
        existing ?? (await createPhoneUser(tx, newId ?? randomUUID(), phone, encryptedPassword ?? "", input));
      if (smsAutoconfirm(runtime)) {
        await insertAudit(tx, auditPayload("user_signedup", actor(user), { provider: "phone" }), client.ip);
        await confirmPhone(tx, user.id);
        return issueSession(runtime, tx, await reload(tx, user.id), "password", client);
      }
      await insertAudit(
        tx,
        auditPayload("user_confirmation_requested", actor(user), { provider: "phone" }),
        client.ip,
      );
      await sendPhoneCode(runtime, tx, user, phone, client.ip);
      return userJson(await reload(tx, user.id));
    }),
  );
}

/**
 * `POST /otp` with a phone (GoTrue's `SmsOtp`): a code by SMS. An unknown number is signed up
 * first (no password; confirmed at once under autoconfirm) unless `create_user` is false.
 */
export async function requestPhoneOtp(
  runtime: AuthRuntime,
  input: { phone: string; data: Record<string, unknown> | null; createUser: boolean; aud: string },
  client: ClientInfo,
): Promise<PhoneOtpResponse> {
  assertPhoneEnabled(runtime, "Unsupported phone provider");
  const phone = validatePhone(input.phone);
  await enforce(runtime.limits.perEmail, `phone:${phone}`);
  const existing = await findUserByPhone(runtime.db.admin, phone, input.aud);
  if (!existing && !input.createUser) throw authError("otp_disabled");
  if (!existing && !runtime.config.auth.enableSignup) throw authError("signup_disabled");
  const newId = existing ? null : await approvePhoneUser(runtime, phone, input, client.ip);
  const messageId = await withPhoneTaken(
    transaction(runtime.db.admin, async (tx) => {
      let user = existing ?? (await createPhoneUser(tx, newId ?? randomUUID(), phone, "", input));
      if (!existing && smsAutoconfirm(runtime)) {
        await insertAudit(tx, auditPayload("user_signedup", actor(user), { provider: "phone" }), client.ip);
        await confirmPhone(tx, user.id);
        user = await reload(tx, user.id);
      } else if (existing) {
        await insertAudit(
          tx,
          auditPayload("user_recovery_requested", actor(user), { channel: "sms" }),
          client.ip,
        );
      }
      return sendPhoneCode(runtime, tx, user, phone, client.ip);
    }),
  );
  return messageId === "" ? {} : { message_id: messageId };
}

/** `POST /resend` with `type: sms`: the sign-up code again, for a number not yet confirmed; else nothing. */
export async function resendPhoneCode(
  runtime: AuthRuntime,
  input: { phone: string; aud: string },
  client: ClientInfo,
): Promise<PhoneOtpResponse> {
  assertPhoneEnabled(runtime);
  const phone = validatePhone(input.phone);
  await enforce(runtime.limits.perEmail, `phone:${phone}`);
  const user = await findUserByPhone(runtime.db.admin, phone, input.aud);
  if (!user || user.phone_confirmed_at) return {};
  const messageId = await transaction(runtime.db.admin, async (tx) => {
    await insertAudit(tx, auditPayload("user_confirmation_requested", actor(user)), client.ip);
    return sendPhoneCode(runtime, tx, user, phone, client.ip);
  });
  return messageId === "" ? {} : { message_id: messageId };
}

/**
 * `POST /verify` with `type: sms` (a sign-up's or sign-in's code: confirms the number) or
 * `type: phone_change` (the code sent to a new number: the change applies), and signs the user
 * in. A wrong, spent or expired code is 403 `otp_expired`.
 */
export async function verifyPhoneCode(
  runtime: AuthRuntime,
  input: { type: "sms" | "phone_change"; phone: string; token: string; aud: string },
  client: ClientInfo,
): Promise<TokenResponse> {
  assertPhoneEnabled(runtime);
  if (input.token === "")
    throw authError("validation_failed", "Verify requires either a token or a token hash");
  const phone = validatePhone(input.phone);
  return transaction(runtime.db.admin, async (tx) => {
    const found =
      input.type === "sms"
        ? await findUserByPhone(tx, phone, input.aud, true).then((user) =>
            user ? { user, token: user.confirmation_token ?? "", sentAt: user.confirmation_sent_at } : null,
          )
        : await lockUserByPhoneChange(tx, phone, input.aud).then((pending) =>
            pending ? { ...pending, sentAt: pending.user.phone_change_sent_at } : null,
          );
    if (
      !found ||
      !phoneCodeMatches(runtime, { expected: found.token, sentAt: found.sentAt }, phone, input.token)
    ) {
      throw authError("otp_expired", "Token has expired or is invalid");
    }
    const { user } = found;
    if (isBanned(user)) throw authError("user_banned", "User is banned", 403);
    if (input.type === "sms") {
      await insertAudit(tx, auditPayload("user_signedup", actor(user), { provider: "phone" }), client.ip);
      await confirmPhone(tx, user.id);
    } else {
      await insertAudit(tx, auditPayload("user_modified", actor(user)), client.ip);
      await confirmPhoneChange(tx, user.id);
      await syncProviders(tx, user.id);
    }
    return issueSession(runtime, tx, await reload(tx, user.id), "otp", client);
  });
}

/**
 * `updateUser({ phone })` (GoTrue's `UserUpdate`): with `[auth.sms] enable_confirmations` off the
 * new number is the user's at once; otherwise a code goes to it and `verifyOtp({ type:
 * 'phone_change' })` applies the change. `tx` is the update's transaction.
 */
export async function changePhone(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  phone: string,
  ip: string | null,
): Promise<void> {
  if (smsAutoconfirm(runtime)) {
    await tx.query("update auth.users set phone_change = $2 where id = $1", [user.id, phone]);
    await confirmPhoneChange(tx, user.id);
    await syncProviders(tx, user.id);
    return;
  }
  await sendPhoneCode(runtime, tx, user, phone, ip, "phone_change");
}

/** The number a phone change would take, checked (E.164, enabled, not another user's: 422 `phone_exists`). */
export async function newPhoneFor(
  runtime: AuthRuntime,
  user: AuthUser,
  requested: string,
  aud: string,
): Promise<string> {
  assertPhoneEnabled(runtime);
  const phone = validatePhone(requested);
  const holder = await findUserByPhone(runtime.db.admin, phone, aud);
  if (holder && holder.id !== user.id) throw authError("phone_exists");
  return phone;
}

/** `POST /resend` with `type: phone_change`: the code to the pending new number again; else nothing. */
export async function resendPhoneChange(
  runtime: AuthRuntime,
  input: { phone: string; aud: string },
  client: ClientInfo,
): Promise<PhoneOtpResponse> {
  assertPhoneEnabled(runtime);
  const phone = validatePhone(input.phone);
  await enforce(runtime.limits.perEmail, `phone:${phone}`);
  const messageId = await transaction(runtime.db.admin, async (tx) => {
    const pending = await lockUserByPhoneChange(tx, phone, input.aud);
    if (!pending) return "";
    return sendPhoneCode(runtime, tx, pending.user, phone, client.ip, "phone_change");
  });
  return messageId === "" ? {} : { message_id: messageId };
}

/** Asks the before_user_created hook about a new phone user; returns the id it then gets. */
async function approvePhoneUser(
  runtime: AuthRuntime,
  phone: string,
  input: { data: Record<string, unknown> | null; aud: string },
  ip: string | null,
): Promise<string> {
  const id = randomUUID();
  await beforeUserCreated(
    runtime,
    {
      id,
      aud: input.aud,
      email: null,
      phone,
      provider: "phone",
      userMetadata: input.data ?? {},
      isAnonymous: false,
    },
    ip,
  );
  return id;
}

async function createPhoneUser(
  tx: pg.ClientBase,
  id: string,
  phone: string,
  encryptedPassword: string,
  input: { data: Record<string, unknown> | null; aud: string },
): Promise<AuthUser> {
  await insertUser(tx, {
    id,
    aud: input.aud,
    role: DEFAULT_ROLE,
    email: null,
    phone,
    encryptedPassword,
    appMetadata: { provider: "phone", providers: ["phone"] },
    userMetadata: input.data ?? {},
    isAnonymous: false,
    confirmed: false,
    bannedUntilSeconds: null,
  });
  await insertPhoneIdentity(tx, id, phone);
  return reload(tx, id);
}

/** A number taken meanwhile (another audience, or a concurrent sign-up): GoTrue's 422 `phone_exists`. */
async function withPhoneTaken<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error)) throw authError("phone_exists");
    throw error;
  }
}

function actor(user: AuthUser) {
  return { id: user.id, name: user.phone };
}
