import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertCanSend, type LinkTarget, sendEmailChangeMail, sendTokenMail } from "./outgoing-mail.js";
import { enforce } from "./rate-limit.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { transaction } from "./sql/queryable.js";
import { findUserByEmail } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";
import { isConfirmed } from "./users.js";

/**
 * `POST /resend` (GoTrue's `Resend`): the sign-up confirmation or the email change links again,
 * under the same per-address frequency limit. Nothing to resend (unknown address, already
 * confirmed, no pending change) is `{}` as well, so the answer does not reveal accounts.
 */
export async function resend(
  runtime: AuthRuntime,
  input: { readonly type: string; readonly email: string; readonly phone: string; readonly aud: string },
  client: ClientInfo,
  target: LinkTarget,
): Promise<void> {
  if (input.type !== "signup" && input.type !== "email_change") {
    throw authError(
      "validation_failed",
      "Missing one of these types: signup, email_change, sms, phone_change",
    );
  }
  if (input.email === "" && input.type === "signup") {
    throw authError("validation_failed", "Type provided requires an email address");
  }
  if (input.email !== "" && input.phone !== "") {
    throw authError("validation_failed", "Only an email address or phone number should be provided.");
  }
  if (input.email === "") throw authError("validation_failed", "Missing email address or phone number");
  if (!runtime.config.auth.email.enableSignup)
    throw authError("email_provider_disabled", "Email logins are disabled");
  const email = validateEmail(input.email);
  await enforce(runtime.limits.perEmail, `email:${email}`);
  const user = await findUserByEmail(runtime.db.admin, email, input.aud);
  if (!user) return;
  if (input.type === "signup" && isConfirmed(user)) return;
  if (input.type === "email_change" && (user.email_change ?? "") === "") return;
  await transaction(runtime.db.admin, async (tx) => {
    const actor = { id: user.id, name: user.email };
    if (input.type === "signup") {
      await insertAudit(tx, auditPayload("user_confirmation_requested", actor), client.ip);
      await assertCanSend(runtime, tx, user.confirmation_sent_at);
      await sendTokenMail(runtime, tx, user, "signup", email, target);
      return;
    }
    await assertCanSend(runtime, tx, user.email_change_sent_at);
    await sendEmailChangeMail(runtime, tx, user, target);
  });
}
