import { randomUUID } from "node:crypto";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertCanSend, type LinkTarget, sendTokenMail } from "./outgoing-mail.js";
import { approveEmailUser, createUser, reload, rethrowEmailTaken } from "./sign-up.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { transaction } from "./sql/queryable.js";
import { findUserByEmail } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";
import { type UserJson, userJson } from "./user-json.js";
import { isConfirmed } from "./users.js";

/**
 * `POST /invite` (GoTrue's `Invite`, `auth.admin.inviteUserByEmail`): creates the user without a
 * password (or reuses an unconfirmed one), stamps `invited_at`, and mails an invite link and code
 * (`type=invite`); following it confirms and signs the user in. A confirmed address is 422
 * `email_exists`.
 */
export async function inviteUser(
  runtime: AuthRuntime,
  input: { readonly email: string; readonly data: Record<string, unknown> | null; readonly aud: string },
  admin: { readonly role: string },
  client: ClientInfo,
  target: LinkTarget,
): Promise<UserJson> {
  if (input.email === "") throw authError("validation_failed", "An email address is required", 400);
  const email = validateEmail(input.email);
  const existing = await findUserByEmail(runtime.db.admin, email, input.aud);
  if (existing && isConfirmed(existing)) {
    throw authError("email_exists", "A user with this email address has already been registered");
  }
  const newUser = { data: input.data, aud: input.aud };
  const newId = existing ? null : await approveEmailUser(runtime, email, newUser, client.ip);
  return transaction(runtime.db.admin, async (tx) => {
    const user = existing ?? (await createUser(tx, newId ?? randomUUID(), email, "", newUser));
    await tx.query("update auth.users set invited_at = now() where id = $1", [user.id]);
    await insertAudit(
      tx,
      auditPayload(
        "user_invited",
        { id: admin.role, name: admin.role },
        { user_id: user.id, user_email: email },
      ),
      client.ip,
    );
    await assertCanSend(runtime, tx, null);
    await sendTokenMail(runtime, tx, await reload(tx, user.id), "invite", email, target);
    return userJson(await reload(tx, user.id));
  }).catch(rethrowEmailTaken);
}
