import { randomUUID } from "node:crypto";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertCanSend, type LinkTarget, sendTokenMail } from "./outgoing-mail.js";
import { enforce } from "./rate-limit.js";
import { approveEmailUser, createUser, reload, rethrowEmailTaken } from "./sign-up.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { transaction } from "./sql/queryable.js";
import { confirmEmail, findUserByEmail } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";
import { isConfirmed } from "./users.js";

export interface OtpRequest {
  readonly email: string;
  readonly phone: string;
  readonly data: Record<string, unknown> | null;
  /** `create_user` (default true): false refuses an address without an account. */
  readonly createUser: boolean;
  readonly aud: string;
}

/**
 * `POST /otp` and `POST /magiclink` with an email (GoTrue's `Otp` -> `MagicLink`): one message with a
 * link and a code. A confirmed user gets a magic link; an unknown or unconfirmed address is signed
 * up first (no password), then gets the sign-up confirmation, or with autoconfirm on is confirmed
 * and gets a magic link. Always `{}`, so the answer does not say who has an account.
 */
export async function requestOtp(
  runtime: AuthRuntime,
  input: OtpRequest,
  client: ClientInfo,
  target: LinkTarget,
): Promise<void> {
  const { config } = runtime;
  if (input.email !== "" && input.phone !== "") {
    throw authError("validation_failed", "Only an email address or phone number should be provided");
  }
  if (input.phone !== "") throw authError("phone_provider_disabled", "Phone logins are disabled", 422);
  if (input.email === "") throw authError("validation_failed", "One of email or phone must be set");
  if (!config.auth.email.enableSignup)
    throw authError("email_provider_disabled", "Email logins are disabled");
  const email = validateEmail(input.email);
  await enforce(runtime.limits.perEmail, `email:${email}`);
  const existing = await findUserByEmail(runtime.db.admin, email, input.aud);
  if (!existing && !input.createUser) throw authError("otp_disabled");
  if (!existing && !config.auth.enableSignup) throw authError("signup_disabled");
  const newUser = { data: input.data, aud: input.aud };
  const newId = existing ? null : await approveEmailUser(runtime, email, newUser, client.ip);
  await transaction(runtime.db.admin, async (tx) => {
    let user = existing ?? (await createUser(tx, newId ?? randomUUID(), email, "", newUser));
    const actor = { id: user.id, name: user.email };
    if (!isConfirmed(user) && !runtime.autoconfirm) {
      await insertAudit(
        tx,
        auditPayload("user_confirmation_requested", actor, { provider: "email" }),
        client.ip,
      );
      await assertCanSend(runtime, tx, user.confirmation_sent_at);
      await sendTokenMail(runtime, tx, user, "signup", email, target);
      return;
    }
    if (!isConfirmed(user)) {
      await insertAudit(tx, auditPayload("user_signedup", actor, { provider: "email" }), client.ip);
      await confirmEmail(tx, user.id);
      user = await reload(tx, user.id);
    }
    await insertAudit(tx, auditPayload("user_recovery_requested", actor), client.ip);
    await assertCanSend(runtime, tx, user.recovery_sent_at);
    await sendTokenMail(runtime, tx, user, "magiclink", email, target);
  }).catch(rethrowEmailTaken);
}
