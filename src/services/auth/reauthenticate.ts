import { authError } from "./errors.js";
import { sendEmailThroughHook } from "./hooks/send-email.js";
import { renderMail, templateFor } from "./mail-templates.js";
import { assertCanSend } from "./outgoing-mail.js";
import { newOtp, secretsEqual, tokenHash } from "./secrets.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import type { Queryable } from "./sql/queryable.js";
import { transaction } from "./sql/queryable.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { isConfirmed } from "./users.js";

/**
 * `GET /reauthenticate` (GoTrue's `Reauthenticate`): mails the signed-in user a code, the nonce
 * `updateUser({ password, nonce })` then presents when `[auth.email] secure_password_change` asks
 * for it.
 */
export async function sendReauthentication(
  runtime: AuthRuntime,
  user: AuthUser,
  client: ClientInfo,
  /** The auth API's external URL, the `site_url` a send_email hook is given. */
  externalUrl: string,
): Promise<void> {
  const email = user.email ?? "";
  if (email === "") {
    throw authError(
      "validation_failed",
      "Reauthentication requires the user to have an email or a phone number",
    );
  }
  if (!isConfirmed(user)) throw authError("email_not_confirmed", "Please verify your email first.", 422);
  await transaction(runtime.db.admin, async (tx) => {
    await insertAudit(
      tx,
      auditPayload("user_reauthenticate_requested", { id: user.id, name: email }),
      client.ip,
    );
    await assertCanSend(runtime, tx, user.reauthentication_sent_at);
    const otp = newOtp(runtime.config.auth.email.otpLength);
    const hash = tokenHash(email, otp);
    await tx.query(
      `with stamped as (
         update auth.users set reauthentication_token = $2, reauthentication_sent_at = now(), updated_at = now()
         where id = $1)
       insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
       values (gen_random_uuid(), $1, 'reauthentication_token', $2, $3, now(), now())
       on conflict (user_id, token_type) do update
         set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`,
      [user.id, hash, email],
    );
    if (runtime.hooks.send_email) {
      await sendEmailThroughHook(runtime, tx, user, {
        email_action_type: "reauthentication",
        token: otp,
        token_hash: hash,
        redirect_to: "",
        site_url: externalUrl,
      });
      return;
    }
    const content = renderMail(
      "reauthentication",
      {
        confirmationUrl: "",
        token: otp,
        tokenHash: hash,
        siteUrl: runtime.config.auth.siteUrl,
        redirectTo: "",
        email,
      },
      templateFor(runtime.config.mail.templates, "reauthentication"),
    );
    await runtime.mailer.send(
      { kind: "reauthentication", userId: user.id, to: email, ...content, actionLink: "", otp },
      tx,
    );
  });
}

/**
 * GoTrue's `verifyReauthentication`: the nonce must be the last code sent, within `otp_expiry`;
 * it is spent on use. 422 `reauthentication_not_valid` otherwise.
 */
export async function spendReauthenticationNonce(
  runtime: AuthRuntime,
  sql: Queryable,
  userId: string,
  nonce: string,
): Promise<void> {
  const { rows } = await sql.query<{ email: string | null; token: string | null; sent_at: Date | null }>(
    `select email, reauthentication_token as token, reauthentication_sent_at as sent_at
     from auth.users where id = $1 for update`,
    [userId],
  );
  const row = rows[0];
  const expiry = runtime.config.auth.email.otpExpiry * 1000;
  const valid =
    row !== undefined &&
    (row.token ?? "") !== "" &&
    row.sent_at !== null &&
    row.sent_at.getTime() + expiry >= Date.now() &&
    secretsEqual(row.token ?? "", tokenHash(row.email ?? "", nonce));
  if (!valid) throw authError("reauthentication_not_valid");
  await sql.query(
    `with spent as (update auth.users set reauthentication_token = '', reauthentication_sent_at = null where id = $1)
     delete from auth.one_time_tokens where user_id = $1 and token_type = 'reauthentication_token'`,
    [userId],
  );
}
