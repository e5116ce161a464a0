import type { MailConfig, SmtpConfig } from "../../config/index.js";
import { AuthError } from "./errors.js";
import type { Mailer } from "./mailer.js";

/** GoTrue's words when a message cannot be sent, by kind. */
const FAILURES: Record<string, string> = {
  signup: "Error sending confirmation email",
  invite: "Error sending invite email",
  recovery: "Error sending recovery email",
  magiclink: "Error sending magic link email",
  email_change: "Error sending email change email",
  reauthentication: "Error sending reauthentication email",
};

/** Network waits for one message: connecting, the greeting, and silence on the socket. */
const TIMEOUT_MS = 10_000;

/**
 * Sends auth mail through the project's SMTP server (`[auth.email.smtp]`) with nodemailer:
 * TLS from the start on port 465, STARTTLS when the server offers it on other ports, login when
 * a user is configured. The message goes out inside the transaction that issued its token, so a
 * failure to send rolls the token back and answers 500 as GoTrue does; the reason goes to the
 * log, never the credentials.
 */
export function smtpMailer(mail: MailConfig & { readonly smtp: SmtpConfig }): Mailer {
  const { smtp } = mail;
  // nodemailer is loaded with the first message, not with the server (it adds to every start).
  let transport: ReturnType<typeof connect> | null = null;
  const connect = async () =>
    (await import("nodemailer")).default.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.port === 465,
      ...(smtp.user !== "" ? { auth: { user: smtp.user, pass: smtp.pass } } : {}),
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
  return {
    async send(message) {
      try {
        transport ??= connect();
        await (await transport).sendMail({
          from: { name: smtp.senderName, address: smtp.adminEmail },
          to: message.to,
          subject: message.subject,
          html: message.html,
          text: message.text,
        });
      } catch (error) {
        throw new AuthError(
          500,
          "unexpected_failure",
          FAILURES[message.kind] ?? "Error sending email",
          {},
          new Error(`SMTP ${smtp.host}:${smtp.port}: ${(error as Error).message}`),
        );
      }
    },
  };
}
