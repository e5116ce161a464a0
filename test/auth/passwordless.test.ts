import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WELL_KNOWN_PUBLISHABLE_KEY, WELL_KNOWN_SECRET_KEY } from "../../src/config/jwt-keys.js";
import { type TestServer, testClient } from "../harness/server.js";
import { latestMail, startAuthServer, uniqueEmail } from "./helpers.js";

const SITE = "http://127.0.0.1:3000";

// Magic links and codes, every verifyOtp type, resend, reauthentication, invitations and
// generated links, through an unmodified supabase-js with the opaque keys.
describe("passwordless and email flows", () => {
  let server: TestServer & { dir: string };
  let admin: SupabaseClient;
  const client = () => testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY);
  const mail = async (to: string) => {
    const found = await latestMail(server, to);
    if (!found) throw new Error(`no mail to ${to}`);
    return found;
  };
  /** A confirmed user, made by the admin API. */
  const confirmedUser = async (prefix: string) => {
    const email = uniqueEmail(prefix);
    const { error } = await admin.auth.admin.createUser({
      email,
      password: "pw-123456",
      email_confirm: true,
    });
    expect(error).toBeNull();
    return email;
  };

  beforeAll(async () => {
    server = await startAuthServer({
      auth: { site_url: SITE, additional_redirect_urls: ["https://app.example.com/**", "myapp://callback"] },
      email: { enable_confirmations: true, max_frequency: "60s", secure_password_change: true },
    });
    admin = testClient(server.url, WELL_KNOWN_SECRET_KEY);
  });
  afterAll(async () => {
    await server.close();
  });

  it("signInWithOtp mails a confirmed user a magic link whose code and link both sign in", async () => {
    const email = await confirmedUser("magic");
    expect((await client().auth.signInWithOtp({ email })).error).toBeNull();
    const message = await mail(email);
    expect([message.kind, message.subject]).toEqual(["magiclink", "Your Magic Link"]);
    expect(message.otp).toMatch(/^\d{6}$/);
    expect(message.action_link).toContain("type=magiclink");

    const viaCode = client();
    const { data, error } = await viaCode.auth.verifyOtp({ email, token: message.otp, type: "email" });
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(email);
    // The code is spent with its link.
    const link = await fetch(message.action_link, { redirect: "manual" });
    expect(
      new URLSearchParams(new URL(link.headers.get("location") as string).hash.slice(1)).get("error_code"),
    ).toBe("otp_expired");
  });

  it("signs a new address up (confirmation mail with a code), or refuses when shouldCreateUser is false", async () => {
    const email = uniqueEmail("new");
    const sent = await client().auth.signInWithOtp({ email, options: { data: { name: "Zoë 東京 🚀" } } });
    expect(sent.error).toBeNull();
    const message = await mail(email);
    expect(message.kind).toBe("signup");
    const { data, error } = await client().auth.verifyOtp({ email, token: message.otp, type: "signup" });
    expect(error).toBeNull();
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(data.user?.user_metadata.name).toBe("Zoë 東京 🚀");

    const refused = await client().auth.signInWithOtp({
      email: uniqueEmail("nobody"),
      options: { shouldCreateUser: false },
    });
    expect(refused.error?.status).toBe(422);
    expect((refused.error as { code?: string } | null)?.code).toBe("otp_disabled");
  });

  it("limits messages per address (max_frequency) with 429", async () => {
    const email = await confirmedUser("limit");
    expect((await client().auth.signInWithOtp({ email })).error).toBeNull();
    const again = await client().auth.signInWithOtp({ email });
    expect(again.error?.status).toBe(429);
    expect((again.error as { code?: string } | null)?.code).toBe("over_email_send_rate_limit");
  });

  it("verifyOtp accepts recovery and magiclink codes", async () => {
    const email = await confirmedUser("recovery");
    expect((await client().auth.resetPasswordForEmail(email)).error).toBeNull();
    const recovery = await mail(email);
    const recovered = await client().auth.verifyOtp({ email, token: recovery.otp, type: "recovery" });
    expect(recovered.error).toBeNull();

    const other = await confirmedUser("magiccode");
    await client().auth.signInWithOtp({ email: other });
    const magic = await mail(other);
    const signedIn = await client().auth.verifyOtp({ email: other, token: magic.otp, type: "magiclink" });
    expect(signedIn.error).toBeNull();
  });

  it("resend sends the sign-up confirmation again once the frequency allows, and {} for unknown addresses", async () => {
    const email = uniqueEmail("resend");
    await client().auth.signUp({ email, password: "pw-123456" });
    const first = await mail(email);
    await server.database.query(
      "update auth.users set confirmation_sent_at = now() - interval '2 minutes' where email = $1",
      [email],
    );
    expect((await client().auth.resend({ type: "signup", email })).error).toBeNull();
    const second = await mail(email);
    expect(second.otp).not.toBe(first.otp);
    expect((await client().auth.verifyOtp({ email, token: first.otp, type: "signup" })).error?.status).toBe(
      403,
    );
    expect((await client().auth.verifyOtp({ email, token: second.otp, type: "signup" })).error).toBeNull();
    expect((await client().auth.resend({ type: "signup", email: uniqueEmail("ghost") })).error).toBeNull();
  });

  it("a password change from an old session needs the nonce reauthenticate() mails", async () => {
    const email = await confirmedUser("reauth");
    const user = client();
    await user.auth.signInWithPassword({ email, password: "pw-123456" });
    await server.database.query(
      "update auth.sessions set created_at = now() - interval '2 days' where user_id = (select id from auth.users where email = $1)",
      [email],
    );
    const refused = await user.auth.updateUser({ password: "pw-654321" });
    expect((refused.error as { code?: string } | null)?.code).toBe("reauthentication_needed");
    expect((await user.auth.reauthenticate()).error).toBeNull();
    const nonce = (await mail(email)).otp;
    expect((await mail(email)).kind).toBe("reauthentication");
    const wrong = await user.auth.updateUser({ password: "pw-654321", nonce: "000000" });
    expect((wrong.error as { code?: string } | null)?.code).toBe("reauthentication_not_valid");
    expect((await user.auth.updateUser({ password: "pw-654321", nonce })).error).toBeNull();
    const reused = await user.auth.updateUser({ password: "pw-777777", nonce });
    expect((reused.error as { code?: string } | null)?.code).toBe("reauthentication_not_valid");
  });

  it("secure email change: both addresses confirm, by code", async () => {
    const email = await confirmedUser("change");
    const user = client();
    await user.auth.signInWithPassword({ email, password: "pw-123456" });
    const newEmail = uniqueEmail("changed");
    expect((await user.auth.updateUser({ email: newEmail })).error).toBeNull();
    const toNew = await mail(newEmail);
    const toOld = await mail(email);
    expect([toNew.kind, toOld.kind]).toEqual(["email_change", "email_change"]);
    const first = await client().auth.verifyOtp({ email: newEmail, token: toNew.otp, type: "email_change" });
    expect(first.error).toBeNull();
    expect(first.data.session).toBeNull();
    const second = await client().auth.verifyOtp({ email, token: toOld.otp, type: "email_change" });
    expect(second.error).toBeNull();
    expect(second.data.user?.email).toBe(newEmail);
  });

  it("inviteUserByEmail mails an invite; its code confirms and signs in", async () => {
    const email = uniqueEmail("invited");
    const { data, error } = await admin.auth.admin.inviteUserByEmail(email, {
      data: { team: "Ünited" },
      redirectTo: "https://app.example.com/welcome",
    });
    expect(error).toBeNull();
    expect(data.user?.invited_at).toBeTruthy();
    const invite = await mail(email);
    expect([invite.kind, invite.subject]).toEqual(["invite", "You have been invited"]);
    expect(invite.action_link).toContain(
      `redirect_to=${encodeURIComponent("https://app.example.com/welcome")}`,
    );
    const accepted = await client().auth.verifyOtp({ email, token: invite.otp, type: "invite" });
    expect(accepted.error).toBeNull();
    expect(accepted.data.user?.user_metadata.team).toBe("Ünited");
    const again = await admin.auth.admin.inviteUserByEmail(email);
    expect(again.error?.status).toBe(422);
  });

  it("generateLink issues each link type without sending mail", async () => {
    const existing = await confirmedUser("generated");
    const cases = [
      { type: "signup", email: uniqueEmail("gen-signup"), password: "pw-123456" },
      { type: "invite", email: uniqueEmail("gen-invite") },
      { type: "magiclink", email: existing },
      { type: "recovery", email: existing },
      { type: "email_change_current", email: existing, newEmail: uniqueEmail("gen-new") },
      { type: "email_change_new", email: existing, newEmail: uniqueEmail("gen-new") },
    ] as const;
    for (const params of cases) {
      // biome-ignore lint/suspicious/noExplicitAny: each case is one of generateLink's parameter shapes
      const { data, error } = await admin.auth.admin.generateLink(params as any);
      expect(error, params.type).toBeNull();
      expect(data.properties?.email_otp).toMatch(/^\d{6}$/);
      expect(data.properties?.action_link).toContain("/auth/v1/verify?token=");
      expect(data.properties?.verification_type).toBe(
        params.type.startsWith("email_change") ? "email_change" : params.type,
      );
      expect(data.user?.email).toBe(params.email);
    }
    expect(await latestMail(server, cases[0].email)).toBeUndefined();
    const { data } = await admin.auth.admin.generateLink({ type: "magiclink", email: existing });
    const followed = await fetch(data.properties?.action_link as string, { redirect: "manual" });
    const fragment = new URLSearchParams(new URL(followed.headers.get("location") as string).hash.slice(1));
    expect(fragment.get("access_token")).toMatch(/^eyJ/);
    const unknown = await admin.auth.admin.generateLink({ type: "recovery", email: uniqueEmail("nobody") });
    expect(unknown.error?.status).toBe(404);
  });

  it("redirects only to the site and the allow-list (GoTrue's wildcards), refusing the usual tricks", async () => {
    const redirectOf = async (redirectTo: string) => {
      const email = await confirmedUser("redirect");
      await client().auth.signInWithOtp({ email, options: { emailRedirectTo: redirectTo } });
      return new URL((await mail(email)).action_link).searchParams.get("redirect_to");
    };
    for (const allowed of [
      "https://app.example.com/auth/callback?next=/home",
      `${SITE}/welcome`,
      "http://127.0.0.1:4000/cb",
      "myapp://callback",
    ]) {
      expect(await redirectOf(allowed), allowed).toBe(allowed);
    }
    for (const trick of [
      "https://evil.example/",
      "//evil.example/",
      "javascript:alert(1)",
      "https://app.example.com@evil.example/",
      "https://evil.example\\@app.example.com/",
      "https://app.example.com.evil.example/",
      "http://2130706433/",
      "myapp://callback.evil",
    ]) {
      expect(await redirectOf(trick), trick).toBe(SITE);
    }
  });
});

// The Supabase CLI applies `[auth.rate_limit] email_sent` only with `[auth.email.smtp]` enabled:
// its template's `email_sent = 2` must not stop a local end-to-end test at the third message.
describe("email_sent with the local mail catcher", () => {
  let server: TestServer & { dir: string };
  beforeAll(async () => {
    server = await startAuthServer({
      rateLimit: { email_sent: 2 },
      email: { enable_confirmations: true },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("sends more than email_sent messages an hour when no SMTP server is configured", async () => {
    const client = testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY);
    const addresses = [uniqueEmail("catcher-a"), uniqueEmail("catcher-b"), uniqueEmail("catcher-c")];
    await client.auth.signUp({ email: addresses[0] as string, password: "mot-de-passe-é-123" });
    for (const email of addresses.slice(1)) {
      const { error } = await client.auth.signInWithOtp({ email, options: { data: { name: "Ñandú 🐦" } } });
      expect(error).toBeNull();
    }
    for (const email of addresses) expect(await latestMail(server, email)).not.toBeNull();
  });
});
