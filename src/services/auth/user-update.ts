import type pg from "pg";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertCanSend, type LinkTarget, sendEmailChangeMail } from "./outgoing-mail.js";
import { assertPasswordStrength, hashPassword, verifyPassword } from "./password.js";
import { formatPhone } from "./phone.js";
import { changePhone, newPhoneFor } from "./phone-sign-in.js";
import { spendReauthenticationNonce } from "./reauthenticate.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { isUniqueViolation, transaction } from "./sql/queryable.js";
import { confirmEmail, emailTaken, findUserById, mergeMetadata, setPassword } from "./sql/users.js";
import { applyEmailChange, syncProviders } from "./sql/verification.js";
import type { TokenUser } from "./token-auth.js";
import { isAdminRole } from "./token-auth.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";

export interface UserUpdate {
  readonly email: string;
  /** Null when the body has no password (Go `*string`). */
  readonly password: string | null;
  readonly phone: string;
  readonly data: Record<string, unknown> | null;
  readonly appMetadata: Record<string, unknown> | null;
  /** The code `GET /reauthenticate` mailed (`updateUser({ password, nonce })`). */
  readonly nonce: string;
}

/**
 * `PUT /user` (GoTrue's `UserUpdate`): merges `data` into `user_metadata`, changes the password
 * (ending the user's other sessions), and starts an email change, which takes effect when the
 * emailed link is followed (at once for an anonymous user with autoconfirm on), and a phone
 * change (phone-sign-in.ts).
 */
export async function updateUser(
  runtime: AuthRuntime,
  caller: TokenUser,
  update: UserUpdate,
  client: ClientInfo,
  target: LinkTarget,
): Promise<UserJson> {
  const { config } = runtime;
  const { user } = caller;
  const email = update.email === "" ? "" : validateEmail(update.email);
  if (update.password !== null) assertPasswordStrength(update.password, config.auth);
  if (update.appMetadata !== null && !isAdminRole(user.role)) {
    throw authError("not_admin", "Updating app_metadata requires admin privileges");
  }
  if (user.is_anonymous && update.password && email === "" && update.phone === "") {
    throw authError(
      "validation_failed",
      "Updating password of an anonymous user without an email or phone is not allowed",
      422,
    );
  }
  const changingEmail = email !== "" && email !== (user.email ?? "");
  if (changingEmail && (await emailTaken(runtime.db.admin, email, user.id))) throw authError("email_exists");
  const changingPhone = update.phone !== "" && formatPhone(update.phone) !== (user.phone ?? "");
  const phone = changingPhone ? await newPhoneFor(runtime, user, update.phone, user.aud ?? "") : "";
  let encryptedPassword: string | null = null;
  if (update.password !== null && update.password !== "") {
    if (await verifyPassword(update.password, user.encrypted_password)) throw authError("same_password");
    encryptedPassword = await hashPassword(update.password, config.auth.passwordHashCost);
  }

  try {
    return await transaction(runtime.db.admin, async (tx) => {
      const actor = { id: user.id, name: user.email };
      if (update.password !== null && config.auth.email.securePasswordChange) {
        await requireRecentSessionOrNonce(runtime, tx, caller, update.nonce);
      }
      if (encryptedPassword !== null) {
        await setPassword(tx, user.id, encryptedPassword, caller.sessionId);
        await insertAudit(tx, auditPayload("user_updated_password", actor), client.ip);
      }
      if (update.data !== null) await mergeMetadata(tx, user.id, "raw_user_meta_data", update.data);
      if (update.appMetadata !== null)
        await mergeMetadata(tx, user.id, "raw_app_meta_data", update.appMetadata);
      if (changingEmail) await changeEmail(runtime, tx, user, email, target);
      if (changingPhone) await changePhone(runtime, tx, user, phone, client.ip);
      await insertAudit(tx, auditPayload("user_modified", actor), client.ip);
      const updated = await findUserById(tx, user.id);
      // Deleted by an admin while this request was on its way: as if it had been gone before.
      if (!updated) throw authError("user_not_found", "User from sub claim in JWT does not exist", 403);
      return userJson(updated);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const constraint = (error as { constraint?: unknown }).constraint;
      throw authError(
        typeof constraint === "string" && constraint.includes("phone") ? "phone_exists" : "email_exists",
      );
    }
    throw error;
  }
}

/**
 * Starts an email change: a link and code to the new address, and with `double_confirm_changes`
 * one to the current address too. An anonymous user under autoconfirm gets the address at once.
 */
async function changeEmail(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  email: string,
  target: LinkTarget,
): Promise<void> {
  await tx.query(
    `update auth.users set email_change = $2, email_change_confirm_status = 0, email_change_token_current = '',
       updated_at = now() where id = $1`,
    [user.id, email],
  );
  if (user.is_anonymous && runtime.autoconfirm) {
    await applyEmailChange(tx, user.id);
    await confirmEmail(tx, user.id);
    await syncProviders(tx, user.id);
    return;
  }
  await assertCanSend(runtime, tx, user.email_change_sent_at);
  const pending: AuthUser = { ...user, email_change: email };
  await sendEmailChangeMail(runtime, tx, pending, target);
}

/**
 * GoTrue's `UpdatePasswordRequireReauthentication`: a session started more than 24 hours ago (or
 * a token without one) must present the mailed nonce, which is spent.
 */
async function requireRecentSessionOrNonce(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  caller: TokenUser,
  nonce: string,
): Promise<void> {
  if (caller.sessionId !== null) {
    const { rows } = await tx.query<{ recent: boolean }>(
      "select created_at > now() - interval '24 hours' as recent from auth.sessions where id = $1",
      [caller.sessionId],
    );
    if (rows[0]?.recent) return;
  }
  if (nonce === "") throw authError("reauthentication_needed");
  await spendReauthenticationNonce(runtime, tx, caller.user.id, nonce);
}
