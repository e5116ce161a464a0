import type pg from "pg";

/** One outgoing auth email. */
export interface MailMessage {
  readonly kind: "signup" | "invite" | "recovery" | "magiclink" | "email_change" | "reauthentication";
  readonly userId: string;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** The link the message asks the user to follow (`/verify?token=...`). */
  readonly actionLink: string;
  /** The one-time code the message carries. */
  readonly otp: string;
}

/**
 * Sends auth email. `client` is the transaction that changed the user, so a mailer that stores
 * messages (the local default) commits or rolls back with it; an SMTP mailer may ignore it.
 */
export interface Mailer {
  send(message: MailMessage, client: pg.ClientBase): Promise<void>;
}

/**
 * The local default: keeps every message in `groundwork.mail_outbox` (platform SQL 0006) where a
 * developer, a test or the dashboard reads it. Nothing leaves the machine.
 */
export function outboxMailer(): Mailer {
  return {
    async send(message, client) {
      await client.query(
        `insert into groundwork.mail_outbox (kind, user_id, to_address, subject, html, text, action_link, otp)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          message.kind,
          message.userId,
          message.to,
          message.subject,
          message.html,
          message.text,
          message.actionLink,
          message.otp,
        ],
      );
    },
  };
}
