import { randomUUID } from "node:crypto";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { type LinkTarget, sendTokenMail, type TokenMailKind } from "./outgoing-mail.js";
import { assertPasswordStrength, hashPassword } from "./password.js";
import { approveEmailUser, createUser, reload, rethrowEmailTaken } from "./sign-up.js";
import { transaction } from "./sql/queryable.js";
import { emailTaken, findUserByEmail, mergeMetadata } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";
import { isConfirmed } from "./users.js";

export interface GenerateLinkInput {
  readonly type: string;
  readonly email: string;
  readonly newEmail: string;
  readonly password: string;
  readonly data: Record<string, unknown> | null;
  readonly aud: string;
}

/** GoTrue's `GenerateLinkResponse`: the user's fields with the link's beside them. */
export type GenerateLinkResponse = UserJson & {
  readonly action_link: string;
  readonly email_otp: string;
  readonly hashed_token: string;
  readonly verification_type: string;
  readonly redirect_to: string;
};

const KINDS: Readonly<Record<string, TokenMailKind>> = {
  signup: "signup",
  invite: "invite",
  magiclink: "magiclink",
  recovery: "recovery",
  email_change_current: "email_change_current",
  email_change_new: "email_change_new",
};

/**
 * `POST /admin/generate_link` (GoTrue's `GenerateLink`, `auth.admin.generateLink`): issues the link
 * and code a message of `type` would carry, without sending anything, for an app that sends its
 * own mail. Users are created as the matching flow would create them.
 */
export async function generateLink(
  runtime: AuthRuntime,
  input: GenerateLinkInput,
  target: LinkTarget,
  client: ClientInfo,
): Promise<GenerateLinkResponse> {
  const kind = KINDS[input.type];
  if (!kind) throw authError("validation_failed", `Invalid email action link type requested: ${input.type}`);
  const email = validateEmail(input.email);
  const existing = await findUserByEmail(runtime.db.admin, email, input.aud);
  if (kind === "recovery" && !existing) throw authError("user_not_found", "User with this email not found");
  if ((kind === "signup" || kind === "invite") && existing && isConfirmed(existing)) {
    throw authError("email_exists", "A user with this email address has already been registered");
  }
  if (kind.startsWith("email_change")) {
    if (!existing) throw authError("user_not_found", "User with this email not found");
    if (kind === "email_change_current" && !runtime.config.auth.email.doubleConfirmChanges) {
      throw authError("validation_failed", "Enable secure email change to generate link for current email");
    }
  }
  const newEmail = kind.startsWith("email_change") ? validateEmail(input.newEmail) : "";
  if (newEmail !== "" && (await emailTaken(runtime.db.admin, newEmail, existing?.id ?? null))) {
    throw authError("email_exists");
  }
  let encryptedPassword = "";
  if (kind === "signup" && !existing) {
    if (input.password === "") throw authError("validation_failed", "Signup requires a valid password", 422);
    assertPasswordStrength(input.password, runtime.config.auth);
    encryptedPassword = await hashPassword(input.password, runtime.config.auth.passwordHashCost);
  }
  const newUser = { data: input.data, aud: input.aud };
  const newId = existing ? null : await approveEmailUser(runtime, email, newUser, client.ip);
  return transaction(runtime.db.admin, async (tx) => {
    let user = existing ?? (await createUser(tx, newId ?? randomUUID(), email, encryptedPassword, newUser));
    if (existing && kind === "signup" && input.data !== null) {
      await mergeMetadata(tx, user.id, "raw_user_meta_data", input.data);
    }
    if (kind === "invite")
      await tx.query("update auth.users set invited_at = now() where id = $1", [user.id]);
    if (newEmail !== "") {
      await tx.query(
        "update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1",
        [user.id, newEmail],
      );
    }
    user = await reload(tx, user.id);
    const address = kind === "email_change_new" ? newEmail : email;
    const link = await sendTokenMail(runtime, tx, user, kind, address, target, { deliver: false });
    return {
      ...userJson(await reload(tx, user.id)),
      action_link: link.actionLink,
      email_otp: link.otp,
      hashed_token: link.hashedToken,
      verification_type: kind.startsWith("email_change") ? "email_change" : kind,
      redirect_to: target.redirectTo,
    };
  }).catch(rethrowEmailTaken);
}
