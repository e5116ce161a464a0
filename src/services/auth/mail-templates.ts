import type { MailMessage } from "./mailer.js";

/** What a template may show, as GoTrue's template variables name it (`{{ .ConfirmationURL }}`...). */
export interface TemplateData {
  readonly confirmationUrl: string;
  readonly token: string;
  readonly tokenHash: string;
  readonly siteUrl: string;
  readonly redirectTo: string;
  readonly email: string;
  readonly newEmail?: string;
}

/** A message's subject and HTML body, with GoTrue's `{{ .Variable }}` placeholders. */
export interface MailTemplate {
  readonly subject: string;
  readonly content: string;
}

/** GoTrue's default subjects and bodies (its `mailer` package), so messages read as on Supabase. */
export const DEFAULT_TEMPLATES: Readonly<Record<MailMessage["kind"], MailTemplate>> = {
  signup: {
    subject: "Confirm Your Email",
    content:
      '<h2>Confirm your email</h2><p>Follow this link to confirm your email:</p><p><a href="{{ .ConfirmationURL }}">Confirm your email address</a></p><p>Alternatively, enter the code: {{ .Token }}</p>',
  },
  invite: {
    subject: "You have been invited",
    content:
      '<h2>You have been invited</h2><p>You have been invited to create a user on {{ .SiteURL }}. Follow this link to accept the invite:</p><p><a href="{{ .ConfirmationURL }}">Accept the invite</a></p><p>Alternatively, enter the code: {{ .Token }}</p>',
  },
  recovery: {
    subject: "Reset Your Password",
    content:
      '<h2>Reset Password</h2><p>Follow this link to reset the password for your user:</p><p><a href="{{ .ConfirmationURL }}">Reset Password</a></p><p>Alternatively, enter the code: {{ .Token }}</p>',
  },
  magiclink: {
    subject: "Your Magic Link",
    content:
      '<h2>Magic Link</h2><p>Follow this link to login:</p><p><a href="{{ .ConfirmationURL }}">Log In</a></p><p>Alternatively, enter the code: {{ .Token }}</p>',
  },
  email_change: {
    subject: "Confirm Email Change",
    content:
      '<h2>Confirm Change of Email</h2><p>Follow this link to confirm the update of your email from {{ .Email }} to {{ .NewEmail }}:</p><p><a href="{{ .ConfirmationURL }}">Change Email</a></p><p>Alternatively, enter the code: {{ .Token }}</p>',
  },
  reauthentication: {
    subject: "Confirm reauthentication",
    content: "<h2>Confirm reauthentication</h2><p>Enter the code: {{ .Token }}</p>",
  },
};

/**
 * The template of `kind`: the project's `[auth.email.template.*]` subject and content where set,
 * GoTrue's default for the rest.
 */
export function templateFor(
  configured: Readonly<Record<string, { readonly subject: string | null; readonly content: string | null }>>,
  kind: MailMessage["kind"],
): MailTemplate {
  const fallback = DEFAULT_TEMPLATES[kind];
  const project = configured[kind];
  return { subject: project?.subject ?? fallback.subject, content: project?.content ?? fallback.content };
}

/**
 * Renders a message from its template (the project's `[auth.email.template.KIND]` when given,
 * else GoTrue's default): `{{ .Variable }}` placeholders filled HTML-escaped in the body, as Go's
 * html/template does, and plain in the subject; a text part from the same values.
 */
export function renderMail(
  kind: MailMessage["kind"],
  data: TemplateData,
  template: MailTemplate = DEFAULT_TEMPLATES[kind],
): Pick<MailMessage, "subject" | "html" | "text"> {
  const values: Record<string, string> = {
    ConfirmationURL: data.confirmationUrl,
    Token: data.token,
    TokenHash: data.tokenHash,
    SiteURL: data.siteUrl,
    RedirectTo: data.redirectTo,
    Email: data.email,
    NewEmail: data.newEmail ?? "",
  };
  const fill = (text: string, encode: (value: string) => string) =>
    text.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, name: string) =>
      name in values ? encode(values[name] as string) : whole,
    );
  const lines = [
    data.confirmationUrl && kind !== "reauthentication" ? `Follow this link: ${data.confirmationUrl}` : "",
    `Code: ${data.token}`,
  ].filter((line) => line !== "");
  return {
    subject: fill(template.subject, (value) => value),
    html: fill(template.content, escapeHtml),
    text: `${fill(template.subject, (value) => value)}\n\n${lines.join("\n")}\n`,
  };
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&#34;")
    .replaceAll("'", "&#39;");
}
