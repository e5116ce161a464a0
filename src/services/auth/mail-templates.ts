import type { MailMessage } from "./mailer.js";

/** What a template may show, as GoTrue's template variables name it. */
export interface TemplateData {
  readonly confirmationUrl: string;
  readonly token: string;
  readonly email: string;
  readonly newEmail?: string;
}

/** GoTrue's default subjects and bodies (its `mailer` package), so messages read as on Supabase. */
export function renderMail(
  kind: MailMessage["kind"],
  data: TemplateData,
): Pick<MailMessage, "subject" | "html" | "text"> {
  const link = escapeHtml(data.confirmationUrl);
  const code = escapeHtml(data.token);
  switch (kind) {
    case "signup":
      return {
        subject: "Confirm Your Email",
        html: `<h2>Confirm your email</h2><p>Follow this link to confirm your email:</p><p><a href="${link}">Confirm your email address</a></p><p>Alternatively, enter the code: ${code}</p>`,
        text: `Confirm your email: ${data.confirmationUrl}\nAlternatively, enter the code: ${data.token}\n`,
      };
    case "recovery":
      return {
        subject: "Reset Your Password",
        html: `<h2>Reset Password</h2><p>Follow this link to reset the password for your user:</p><p><a href="${link}">Reset Password</a></p><p>Alternatively, enter the code: ${code}</p>`,
        text: `Reset your password: ${data.confirmationUrl}\nAlternatively, enter the code: ${data.token}\n`,
      };
    case "email_change":
      return {
        subject: "Confirm Email Change",
        html: `<h2>Confirm Change of Email</h2><p>Follow this link to confirm the update of your email from ${escapeHtml(data.email)} to ${escapeHtml(data.newEmail ?? "")}:</p><p><a href="${link}">Change Email</a></p><p>Alternatively, enter the code: ${code}</p>`,
        text: `Confirm the change of your email from ${data.email} to ${data.newEmail ?? ""}: ${data.confirmationUrl}\nAlternatively, enter the code: ${data.token}\n`,
      };
  }
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
