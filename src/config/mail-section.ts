import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";
import type { MailConfig, MailTemplateConfig, SmtpConfig } from "./types.js";

/** `[auth.email.template.NAME]` names (the Supabase CLI's) and the message kind each shapes. */
const TEMPLATE_KINDS = {
  confirmation: "signup",
  invite: "invite",
  recovery: "recovery",
  magic_link: "magiclink",
  email_change: "email_change",
  reauthentication: "reauthentication",
} as const;

/**
 * Mail settings: the local catcher from `[inbucket]` (the Supabase CLI's name) or `[local_smtp]`
 * (accepted as well), production SMTP from `[auth.email.smtp]`, and message templates from
 * `[auth.email.template.*]` whose `content_path` is read now, relative to the project folder.
 */
export function readMail(supabase: TableReader, projectDir: string, env: NodeJS.ProcessEnv): MailConfig {
  const catcher = supabase.has("local_smtp") ? supabase.section("local_smtp") : supabase.section("inbucket");
  const email = supabase.section("auth").section("email");
  const portFromEnv = env.GROUNDWORK_MAIL_PORT?.trim();
  if (portFromEnv !== undefined && portFromEnv !== "" && !/^\d+$/.test(portFromEnv)) {
    throw new ConfigError(
      "environment",
      "GROUNDWORK_MAIL_PORT",
      "a port number",
      JSON.stringify(portFromEnv),
    );
  }
  const smtpSection = email.section("smtp");
  const smtp = email.has("smtp") && smtpSection.boolean("enabled", true) ? readSmtp(smtpSection) : null;
  const templates: Record<string, MailTemplateConfig> = {};
  const templateSection = email.section("template");
  for (const name of templateSection.sectionNames()) {
    const kind = TEMPLATE_KINDS[name as keyof typeof TEMPLATE_KINDS];
    if (!kind) continue;
    const template = templateSection.section(name);
    const contentPath = template.optionalString("content_path");
    let content: string | null = null;
    if (contentPath !== null && contentPath !== "") {
      const file = path.resolve(projectDir, contentPath);
      if (!existsSync(file)) {
        throw new ConfigError(
          "supabase/config.toml",
          `auth.email.template.${name}.content_path`,
          "an existing file",
          file,
        );
      }
      content = readFileSync(file, "utf8");
    }
    templates[kind] = { subject: template.optionalString("subject"), content };
  }
  return {
    catcherEnabled: catcher.boolean("enabled", true),
    catcherPort: portFromEnv ? Number(portFromEnv) : catcher.integer("port", 54324, { min: 0, max: 65535 }),
    adminEmail: smtp?.adminEmail ?? catcher.string("admin_email", "admin@email.com"),
    senderName: smtp?.senderName ?? catcher.string("sender_name", "Admin"),
    smtp,
    templates,
  };
}

function readSmtp(smtp: TableReader): SmtpConfig {
  const host = smtp.optionalString("host");
  if (host === null || host === "") {
    throw new ConfigError(
      "supabase/config.toml",
      "auth.email.smtp.host",
      "the SMTP server's host name",
      "nothing",
    );
  }
  return {
    host,
    port: smtp.integer("port", 587, { min: 1, max: 65535 }),
    user: smtp.string("user", ""),
    pass: smtp.string("pass", ""),
    adminEmail: smtp.string("admin_email", "admin@email.com"),
    senderName: smtp.string("sender_name", "Admin"),
  };
}
