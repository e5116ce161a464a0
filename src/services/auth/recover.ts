import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { assertCanSend, type LinkTarget, sendTokenMail } from "./outgoing-mail.js";
import { enforce } from "./rate-limit.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { transaction } from "./sql/queryable.js";
import { findUserByEmail } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";

/**
 * `POST /recover` (GoTrue's `Recover`): mails a recovery link and code. An unknown address gets
 * the same empty answer, so the endpoint does not reveal who has an account.
 */
export async function requestRecovery(
  runtime: AuthRuntime,
  rawEmail: string,
  aud: string,
  client: ClientInfo,
  target: LinkTarget,
): Promise<void> {
  if (!runtime.config.auth.email.enableSignup) throw authError("email_provider_disabled");
  if (rawEmail === "") throw authError("validation_failed", "Password recovery requires an email", 422);
  const email = validateEmail(rawEmail);
  await enforce(runtime.limits.perEmail, `email:${email}`);
  const user = await findUserByEmail(runtime.db.admin, email, aud);
  if (!user) return;
  await transaction(runtime.db.admin, async (tx) => {
    await insertAudit(
      tx,
      auditPayload("user_recovery_requested", { id: user.id, name: user.email }),
      client.ip,
    );
    await assertCanSend(runtime, tx, user.recovery_sent_at);
    await sendTokenMail(runtime, tx, user, "recovery", email, target);
  });
}
