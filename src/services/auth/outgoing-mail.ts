import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import { rateLimitError } from "./errors.js";
import { renderMail } from "./mail-templates.js";
import type { MailMessage } from "./mailer.js";
import { newOtp, tokenHash } from "./secrets.js";
import type { AuthRuntime, AuthUser } from "./types.js";

/** Where a message's link leads: the API's external URL and the app's `redirect_to`. */
export interface LinkTarget {
  /** `http(s)://host/auth/v1`, from the request that caused the mail. */
  readonly externalUrl: string;
  readonly redirectTo: string;
}

/** The user column holding each kind's token hash, its sent-at column, and `auth.one_time_tokens` type. */
const COLUMNS = {
  signup: { token: "confirmation_token", sentAt: "confirmation_sent_at", type: "confirmation_token" },
  recovery: { token: "recovery_token", sentAt: "recovery_sent_at", type: "recovery_token" },
  email_change_new: {
    token: "email_change_token_new",
    sentAt: "email_change_sent_at",
    type: "email_change_token_new",
  },
  email_change_current: {
    token: "email_change_token_current",
    sentAt: "email_change_sent_at",
    type: "email_change_token_current",
  },
} as const;

/**
 * Refuses a new message while the last one of the same kind is younger than
 * `[auth.email] max_frequency`, then takes one from the process-wide `email_sent` budget.
 * Both answer 429 `over_email_send_rate_limit`, with GoTrue's messages. `tx` is the caller's
 * open transaction.
 */
export async function assertCanSend(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  lastSentAt: Date | null,
): Promise<void> {
  const waitMs = lastSentAt
    ? lastSentAt.getTime() + runtime.config.auth.email.maxFrequency * 1000 - Date.now()
    : 0;
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw rateLimitError(
      "over_email_send_rate_limit",
      seconds,
      `For security purposes, you can only request this after ${seconds} seconds.`,
    );
  }
  // On the transaction's own connection: every caller holds one, and a second from the pool
  // could wait forever once concurrent requests hold them all.
  const wait = await runtime.limits.emailSent.take("email", tx);
  if (wait !== null) throw rateLimitError("over_email_send_rate_limit", wait);
}

/**
 * Issues a one-time code for `kind`, stores its hash on the user and in `auth.one_time_tokens`,
 * and hands the message to the mailer inside the same transaction.
 */
export async function sendTokenMail(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  kind: keyof typeof COLUMNS,
  address: string,
  target: LinkTarget,
): Promise<void> {
  const columns = COLUMNS[kind];
  const otp = newOtp(runtime.config.auth.email.otpLength);
  const hash = tokenHash(address, otp);
  await tx.query(
    `with stamped as (
       update auth.users set ${quoteIdent(columns.token)} = $2, ${quoteIdent(columns.sentAt)} = now(), updated_at = now()
       where id = $1)
     insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
     values (gen_random_uuid(), $1, $3, $2, $4, now(), now())
     on conflict (user_id, token_type) do update
       set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`,
    [user.id, hash, columns.type, address],
  );
  const type = kind === "signup" ? "signup" : kind === "recovery" ? "recovery" : "email_change";
  const link =
    `${target.externalUrl}/verify?token=${encodeURIComponent(hash)}&type=${type}` +
    `&redirect_to=${encodeURIComponent(target.redirectTo)}`;
  const mailKind: MailMessage["kind"] = type;
  const content = renderMail(mailKind, {
    confirmationUrl: link,
    token: otp,
    email: user.email ?? "",
    newEmail: user.email_change ?? address,
  });
  await runtime.mailer.send(
    { kind: mailKind, userId: user.id, to: address, ...content, actionLink: link, otp },
    tx,
  );
}
