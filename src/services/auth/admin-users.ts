import { randomUUID } from "node:crypto";
import { parseGoDuration } from "./duration.js";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertPasswordStrength, hashPassword, isBcryptHash, MAX_PASSWORD_BYTES } from "./password.js";
import { signOut } from "./sessions.js";
import { DEFAULT_ROLE } from "./sign-up.js";
import {
  type AdminColumns,
  deleteUser,
  listUsersPage,
  softDeleteUser,
  updateUserColumns,
  upsertEmailIdentity,
} from "./sql/admin-users.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { isUniqueViolation, transaction } from "./sql/queryable.js";
import {
  confirmEmail,
  emailTaken,
  findUserById,
  insertUser,
  mergeMetadata,
  setPassword,
} from "./sql/users.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";

/** The attributes of `POST /admin/users` and `PUT /admin/users/{id}` (GoTrue's `AdminUserParams`). */
export interface AdminUserAttributes {
  readonly id: string;
  readonly aud: string;
  readonly role: string;
  readonly email: string;
  readonly phone: string;
  readonly password: string | null;
  readonly passwordHash: string;
  readonly emailConfirm: boolean;
  readonly phoneConfirm: boolean;
  readonly userMetadata: Record<string, unknown> | null;
  readonly appMetadata: Record<string, unknown> | null;
  readonly banDuration: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** `GET /admin/users`: one page, newest first, with the total for `X-Total-Count`. */
export async function listUsers(
  runtime: AuthRuntime,
  aud: string,
  page: number,
  perPage: number,
  filter: string,
): Promise<{ users: UserJson[]; total: number }> {
  const offset = Math.max(0, page - 1) * perPage;
  const result = await listUsersPage(runtime.db.admin, aud, filter, perPage, offset);
  return { users: result.users.map(userJson), total: result.total };
}

/** `GET /admin/users/{id}` and the user of the other `{id}` routes: 404 as GoTrue words it. */
export async function loadUser(runtime: AuthRuntime, id: string): Promise<AuthUser> {
  if (!UUID.test(id)) throw authError("validation_failed", "user_id must be an UUID", 404);
  const user = await findUserById(runtime.db.admin, id);
  if (!user) throw authError("user_not_found", "User not found", 404);
  return user;
}

/** `POST /admin/users` (GoTrue's `adminUserCreate`). */
export async function createUser(
  runtime: AuthRuntime,
  attributes: AdminUserAttributes,
  admin: { role: string },
  client: ClientInfo,
): Promise<UserJson> {
  const aud = attributes.aud || "authenticated";
  if (attributes.email === "" && attributes.phone === "") {
    throw authError("validation_failed", "Cannot create a user without either an email or phone");
  }
  const email = attributes.email === "" ? null : validateEmail(attributes.email);
  if (email !== null && (await emailTaken(runtime.db.admin, email, null))) throw authError("email_exists");
  const phone = attributes.phone === "" ? null : validatePhone(attributes.phone);
  if (attributes.password !== null && attributes.passwordHash !== "") {
    throw authError("validation_failed", "Only a password or a password hash should be provided");
  }
  const encryptedPassword = await passwordFor(runtime, attributes);
  const id = attributes.id === "" ? randomUUID() : customId(attributes.id);
  const banSeconds = banDuration(attributes.banDuration);
  const providers = [...(email ? ["email"] : []), ...(phone ? ["phone"] : [])];
  try {
    return await transaction(runtime.db.admin, async (tx) => {
      await insertUser(tx, {
        id,
        aud,
        role: attributes.role || DEFAULT_ROLE,
        email,
        phone,
        encryptedPassword,
        appMetadata: { provider: providers[0], providers },
        userMetadata: attributes.userMetadata ?? {},
        isAnonymous: false,
        confirmed: false,
        bannedUntilSeconds: banSeconds === null || banSeconds === 0 ? null : banSeconds,
      });
      await insertAudit(
        tx,
        auditPayload(
          "user_signedup",
          { id: admin.role, name: admin.role },
          { user_id: id, user_email: email },
        ),
        client.ip,
      );
      if (attributes.appMetadata !== null)
        await mergeMetadata(tx, id, "raw_app_meta_data", attributes.appMetadata);
      if (attributes.emailConfirm) await confirmEmail(tx, id);
      if (attributes.phoneConfirm) await updateUserColumns(tx, id, { phone_confirmed_at: true });
      const user = await findUserById(tx, id);
      if (!user) throw authError("user_not_found"); // deleted by an admin meanwhile
      return userJson(user);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateError(error);
    throw error;
  }
}

/** `PUT /admin/users/{id}` (GoTrue's `adminUserUpdate`): sets what is given, merges metadata. */
export async function updateUserAsAdmin(
  runtime: AuthRuntime,
  user: AuthUser,
  attributes: AdminUserAttributes,
  admin: { role: string },
  client: ClientInfo,
): Promise<UserJson> {
  const email = attributes.email === "" ? null : validateEmail(attributes.email);
  if (email !== null && email !== user.email && (await emailTaken(runtime.db.admin, email, user.id))) {
    throw authError("email_exists");
  }
  const phone = attributes.phone === "" ? null : validatePhone(attributes.phone);
  const banSeconds = banDuration(attributes.banDuration);
  let encryptedPassword: string | null = null;
  if (attributes.password !== null) {
    assertPasswordStrength(attributes.password, runtime.config.auth);
    encryptedPassword = await hashPassword(attributes.password, runtime.config.auth.passwordHashCost);
  }
  try {
    return await transaction(runtime.db.admin, async (tx) => {
      const columns: AdminColumns = {
        role: attributes.role || undefined,
        email: email ?? undefined,
        phone: phone ?? undefined,
        is_anonymous:
          user.is_anonymous && (attributes.emailConfirm || attributes.phoneConfirm) ? false : undefined,
        phone_confirmed_at: attributes.phoneConfirm || undefined,
        banned_until: banSeconds ?? undefined,
      };
      await updateUserColumns(tx, user.id, columns);
      if (email !== null) await upsertEmailIdentity(tx, user.id, email, attributes.emailConfirm);
      if (attributes.emailConfirm) await confirmEmail(tx, user.id);
      // An admin password change ends every session of the user (GoTrue's UpdatePassword(nil)).
      if (encryptedPassword !== null) await setPassword(tx, user.id, encryptedPassword, null);
      // A ban ends every session at once, as a global sign-out does: the user's access tokens
      // stop working on /auth/v1 (session_not_found) and their refresh tokens fail.
      if (banSeconds !== null && banSeconds > 0) await signOut(tx, user.id, null, "global");
      if (attributes.appMetadata !== null)
        await mergeMetadata(tx, user.id, "raw_app_meta_data", attributes.appMetadata);
      if (attributes.userMetadata !== null) {
        await mergeMetadata(tx, user.id, "raw_user_meta_data", attributes.userMetadata);
      }
      await insertAudit(
        tx,
        auditPayload(
          "user_modified",
          { id: admin.role, name: admin.role },
          { user_id: user.id, user_email: email },
        ),
        client.ip,
      );
      const updated = await findUserById(tx, user.id);
      if (!updated) throw authError("user_not_found"); // deleted by an admin meanwhile
      return userJson(updated);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateError(error);
    throw error;
  }
}

/** `DELETE /admin/users/{id}`: hard delete, or GoTrue's soft delete with `should_soft_delete`. */
export async function deleteUserAsAdmin(
  runtime: AuthRuntime,
  user: AuthUser,
  soft: boolean,
  admin: { role: string },
  client: ClientInfo,
): Promise<void> {
  await transaction(runtime.db.admin, async (tx) => {
    await insertAudit(
      tx,
      auditPayload(
        "user_deleted",
        { id: admin.role, name: admin.role },
        { user_id: user.id, user_email: user.email },
      ),
      client.ip,
    );
    if (soft) await softDeleteUser(tx, user.id);
    else await deleteUser(tx, user.id);
  });
}

async function passwordFor(runtime: AuthRuntime, attributes: AdminUserAttributes): Promise<string> {
  if (attributes.passwordHash !== "") {
    // GoTrue also takes Argon2 and Firebase scrypt hashes; this service verifies bcrypt only.
    if (!isBcryptHash(attributes.passwordHash)) {
      throw authError("validation_failed", "password_hash must be a bcrypt hash");
    }
    return attributes.passwordHash;
  }
  if (attributes.password === null || attributes.password === "") return ""; // no password: cannot sign in with one
  if (Buffer.byteLength(attributes.password) > MAX_PASSWORD_BYTES) {
    throw authError("validation_failed", "bcrypt: password length exceeds 72 bytes");
  }
  return hashPassword(attributes.password, runtime.config.auth.passwordHashCost);
}

function customId(id: string): string {
  if (!UUID.test(id)) throw authError("validation_failed", "ID must conform to the uuid v4 format");
  if (id === NIL_UUID) throw authError("validation_failed", "ID cannot be a nil uuid");
  return id.toLowerCase();
}

/** `ban_duration`: a Go duration, or "none" to lift a ban (0 s). Null when not given. */
function banDuration(text: string): number | null {
  if (text === "") return null;
  if (text === "none") return 0;
  try {
    return parseGoDuration(text);
  } catch (error) {
    throw authError("validation_failed", `invalid format for ban duration: ${(error as Error).message}`);
  }
}

/** GoTrue's `validatePhone`: E.164 digits after dropping a leading `+` and spaces. */
function validatePhone(phone: string): string {
  const digits = phone.replace(/^\+/, "").replaceAll(" ", "");
  if (!/^[1-9]\d{1,14}$/.test(digits)) {
    throw authError("validation_failed", "Invalid phone number format (E.164 required)");
  }
  return digits;
}

function duplicateError(error: unknown) {
  const constraint = (error as { constraint?: string }).constraint ?? "";
  if (constraint.includes("phone")) return authError("phone_exists");
  if (constraint.includes("pkey"))
    return authError("user_already_exists", "A user with this ID already exists");
  return authError("email_exists");
}
