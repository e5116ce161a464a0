import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, latestMail, passwordSignIn, SEED_PASSWORD, startAuthServer, uniqueEmail } from "./helpers.js";

/** Email confirmations on, as on a hosted project: every flow goes through the local outbox. */
describe("auth: confirmation and recovery mail, offline through the outbox", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ email: { enable_confirmations: true, max_frequency: "60s" } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("signUp returns the user without a session; the emailed code confirms and signs in", async () => {
    const email = uniqueEmail("confirm");
    const client = server.client();
    const { data, error } = await client.auth.signUp({ email, password: "confirm-pass-1" });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.confirmation_sent_at).toBeTruthy();
    expect(data.user?.email_confirmed_at).toBeUndefined();

    const signIn = await passwordSignIn(server, email, "confirm-pass-1");
    expect(signIn.status).toBe(400);
    expect(signIn.body).toEqual({ code: "email_not_confirmed", message: "Email not confirmed" });

    const mail = await latestMail(server, email);
    expect(mail?.kind).toBe("signup");
    expect(mail?.subject).toBe("Confirm Your Email");
    expect(mail?.otp).toMatch(/^\d{6}$/);
    expect(mail?.html).toContain(mail?.otp);
    const { data: verified, error: verifyError } = await client.auth.verifyOtp({
      email,
      token: mail?.otp ?? "",
      type: "signup",
    });
    expect(verifyError).toBeNull();
    expect(verified.session?.access_token).toBeTruthy();
    expect(verified.user?.email_confirmed_at).toBeTruthy();
    expect((await passwordSignIn(server, email, "confirm-pass-1")).status).toBe(200);

    // The code is spent.
    const again = await client.auth.verifyOtp({ email, token: mail?.otp ?? "", type: "signup" });
    expect(again.error?.code).toBe("otp_expired");
  });

  it("answers a duplicate sign-up of a confirmed user with an obfuscated user (no account leak)", async () => {
    const { data, error } = await server
      .client()
      .auth.signUp({ email: "admin@test.local", password: "whatever-1" });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.identities).toEqual([]);
    const { rows } = await server.database.query(
      "select id from auth.users where email = 'admin@test.local'",
    );
    expect(data.user?.id).not.toBe(rows[0]?.id);
  });

  it("recovers a password: recover -> outbox -> verifyOtp -> updateUser -> sign in", async () => {
    const client = server.client();
    const { data, error } = await client.auth.resetPasswordForEmail("manager@test.local", {
      redirectTo: "https://app.example.com/reset",
    });
    expect(error).toBeNull();
    expect(data).toEqual({});
    const mail = await latestMail(server, "manager@test.local");
    expect(mail?.kind).toBe("recovery");
    expect(mail?.subject).toBe("Reset Your Password");
    expect(mail?.action_link).toMatch(/\/auth\/v1\/verify\?token=[0-9a-f]{56}&type=recovery&redirect_to=/);
    expect(mail?.action_link).toContain(encodeURIComponent("https://app.example.com/reset"));

    const { data: verified, error: verifyError } = await client.auth.verifyOtp({
      email: "manager@test.local",
      token: mail?.otp ?? "",
      type: "recovery",
    });
    expect(verifyError).toBeNull();
    expect(verified.session).not.toBeNull();
    expect((await client.auth.updateUser({ password: "Recovered-2" })).error).toBeNull();
    expect((await passwordSignIn(server, "manager@test.local", "Recovered-2")).status).toBe(200);
    expect((await passwordSignIn(server, "manager@test.local", SEED_PASSWORD)).status).toBe(400);
  });

  it("follows the emailed link (GET /verify) to the redirect with the session in the fragment", async () => {
    const email = uniqueEmail("link");
    await server.database.query(
      `insert into auth.users (id, instance_id, aud, role, email, encrypted_password, email_confirmed_at, created_at, updated_at)
       values (gen_random_uuid(), '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', $1,
               extensions.crypt('Link-pass-1', extensions.gen_salt('bf')), now(), now(), now())`,
      [email],
    );
    await api(server, "POST", "/recover?redirect_to=https%3A%2F%2Fapp.example.com%2Fafter", {
      body: { email },
    });
    const mail = await latestMail(server, email);
    const response = await fetch(mail?.action_link ?? "", { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe("https://app.example.com/after");
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect([...fragment.keys()]).toEqual([
      "access_token",
      "expires_at",
      "expires_in",
      "refresh_token",
      "token_type",
      "type",
    ]);
    expect(fragment.get("type")).toBe("recovery");
    expect(fragment.get("token_type")).toBe("bearer");
    const user = await api(server, "GET", "/user", { token: fragment.get("access_token") ?? "" });
    expect(user.body.email).toBe(email);

    // The same link again: the error goes to the redirect too.
    const replay = await fetch(mail?.action_link ?? "", { redirect: "manual" });
    expect(replay.status).toBe(303);
    const failed = new URLSearchParams(new URL(replay.headers.get("location") ?? "").hash.slice(1));
    // GoTrue marks its redirects with an empty `sb` so clients can tell them apart.
    expect(Object.fromEntries(failed)).toEqual({
      error: "access_denied",
      error_code: "otp_expired",
      error_description: "Email link is invalid or has expired",
      sb: "",
    });
  });

  it("verifies by token_hash, and only within otp_expiry", async () => {
    const email = uniqueEmail("hash");
    await server.client().auth.signUp({ email, password: "hash-pass-1" });
    const mail = await latestMail(server, email);
    const tokenHash = new URL(mail?.action_link ?? "").searchParams.get("token") ?? "";
    await server.database.query(
      "update auth.users set confirmation_sent_at = now() - interval '2 hours' where email = $1",
      [email],
    );
    const expired = await api(server, "POST", "/verify", { body: { type: "signup", token_hash: tokenHash } });
    expect(expired.status).toBe(403);
    expect(expired.body).toEqual({ code: "otp_expired", message: "Email link is invalid or has expired" });
    await server.database.query("update auth.users set confirmation_sent_at = now() where email = $1", [
      email,
    ]);
    const ok = await api(server, "POST", "/verify", { body: { type: "signup", token_hash: tokenHash } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(email);
  });

  it.each([
    [{ email: "x@example.com", token: "123456" }, 400, "Verify requires a verification type"],
    [{ type: "signup" }, 400, "Verify requires either a token or a token hash"],
    [{ type: "signup", token: "1", token_hash: "2" }, 400, "Verify requires either a token or a token hash"],
    [
      { type: "signup", token_hash: "abc", email: "x@example.com" },
      400,
      "Only the token_hash and type should be provided",
    ],
    [
      { type: "recovery", email: "manager@test.local", token: "000000" },
      403,
      "Token has expired or is invalid",
    ],
    [{ type: "sms", token_hash: "abc" }, 400, "Invalid email verification type"],
  ])("refuses verify body %j", async (body, status, message) => {
    const response = await api(server, "POST", "/verify", { body });
    expect(response.status).toBe(status);
    expect(response.body.message).toBe(message);
  });

  it("answers {} for an unknown address and rate-limits repeated recovery mail per user", async () => {
    const unknown = await api(server, "POST", "/recover", { body: { email: "nobody@example.com" } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({});
    const email = uniqueEmail("freq");
    await server.client().auth.signUp({ email, password: "freq-pass-1" });
    await server.database.query("update auth.users set email_confirmed_at = now() where email = $1", [email]);
    expect((await api(server, "POST", "/recover", { body: { email } })).status).toBe(200);
    const second = await api(server, "POST", "/recover", { body: { email } });
    expect(second.status).toBe(429);
    expect(second.body.code).toBe("over_email_send_rate_limit");
    expect(second.body.message).toMatch(
      /^For security purposes, you can only request this after \d+ seconds\.$/,
    );
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    const missing = await api(server, "POST", "/recover", { body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe("Password recovery requires an email");
  });
});
