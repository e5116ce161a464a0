import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WELL_KNOWN_PUBLISHABLE_KEY, WELL_KNOWN_SECRET_KEY } from "../../src/config/jwt-keys.js";
import { startAuthServer, uniqueEmail } from "../auth/helpers.js";
import { freePort } from "../harness/free-port.js";
import { type TestServer, testClient } from "../harness/server.js";

const PASSWORD = "s3cret-päss-🔑";
const TEMPLATE =
  '<p>Hallo {{ .Email }} — <a href="{{ .ConfirmationURL }}">anmelden</a> oder Code {{ .Token }} · 東京</p>';

/** A real SMTP server on a real port, with login, keeping what it receives. */
async function startSmtpServer() {
  const received: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? "");
      if (auth.username === "mailer" && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("production mail through [auth.email.smtp] (nodemailer) with [auth.email.template.*]", () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let server: TestServer & { dir: string };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startAuthServer({
      email: { enable_confirmations: true },
      extraToml: [
        "[auth.email.smtp]",
        "enabled = true",
        'host = "127.0.0.1"',
        `port = ${smtp.port}`,
        'user = "mailer"',
        'pass = "env(SMTP_PASS)"',
        'admin_email = "no-reply@example.com"',
        'sender_name = "Ünicorn App"',
        "",
        "[auth.email.template.magic_link]",
        'subject = "Anmelden bei Ünicorn 🦄"',
        'content_path = "./supabase/templates/magic_link.html"',
      ].join("\n"),
      files: { "supabase/templates/magic_link.html": TEMPLATE },
      env: { SMTP_PASS: PASSWORD },
    });
  });
  afterAll(async () => {
    await server.close();
    await smtp.close();
  });

  const waitFor = async (to: string): Promise<ParsedMail> => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const found = smtp.received.find((mail) => mail.to && JSON.stringify(mail.to).includes(to));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no mail to ${to}`);
  };

  it("sends the project's magic link template; its link signs in; nothing stays in the outbox", async () => {
    const admin = testClient(server.url, WELL_KNOWN_SECRET_KEY);
    const email = uniqueEmail("smtp");
    await admin.auth.admin.createUser({ email, password: "pw-123456", email_confirm: true });
    expect(
      (await testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY).auth.signInWithOtp({ email })).error,
    ).toBeNull();
    const mail = await waitFor(email);
    expect(smtp.logins).toContain("mailer");
    expect(mail.subject).toBe("Anmelden bei Ünicorn 🦄");
    expect(mail.from?.value[0]).toEqual({ name: "Ünicorn App", address: "no-reply@example.com" });
    expect(mail.html).toContain(`Hallo ${email} — `);
    expect(mail.html).toContain("東京");
    const link = (/href="([^"]+)"/.exec(mail.html || "")?.[1] ?? "").replaceAll("&amp;", "&");
    const followed = await fetch(link, { redirect: "manual" });
    const fragment = new URLSearchParams(new URL(followed.headers.get("location") as string).hash.slice(1));
    expect(fragment.get("access_token")).toMatch(/^eyJ/);
    const { rows } = await server.database.query("select count(*)::int as n from groundwork.mail_outbox");
    expect(rows[0]?.n).toBe(0);
  });

  it("sends GoTrue's default for kinds without a template", async () => {
    const email = uniqueEmail("smtp-signup");
    await testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY).auth.signUp({ email, password: "pw-123456" });
    const mail = await waitFor(email);
    expect(mail.subject).toBe("Confirm Your Email");
    expect(mail.text).toMatch(/Code: \d{6}/);
  });
});

describe("an SMTP server that cannot be reached", () => {
  it("answers GoTrue's 500 and keeps no token for a message that was not sent", async () => {
    const closedPort = await freePort();
    const server = await startAuthServer({
      extraToml: `[auth.email.smtp]\nhost = "127.0.0.1"\nport = ${closedPort}\n`,
    });
    try {
      const admin = testClient(server.url, WELL_KNOWN_SECRET_KEY);
      const email = uniqueEmail("down");
      await admin.auth.admin.createUser({ email, password: "pw-123456", email_confirm: true });
      const { error } = await testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY).auth.signInWithOtp({
        email,
      });
      expect(error?.status).toBe(500);
      expect(error?.message).toBe("Error sending magic link email");
      const { rows } = await server.database.query("select recovery_token from auth.users where email = $1", [
        email,
      ]);
      expect(rows[0]?.recovery_token).toBe("");
    } finally {
      await server.close();
    }
  });
});
