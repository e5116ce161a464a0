import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import {
  api,
  decodeJwt,
  latestMail,
  passwordSignIn,
  SEED_PASSWORD,
  startAuthServer,
  uniqueEmail,
} from "./helpers.js";

describe("auth: sign-up, sign-in, user (supabase-js)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("signs up with autoconfirm and returns a session with GoTrue's user and claims", async () => {
    const email = uniqueEmail("Signup");
    const client = server.client();
    const { data, error } = await client.auth.signUp({
      email,
      password: "secret-pass-1",
      options: { data: { full_name: "Ada" } },
    });
    expect(error).toBeNull();
    const { session, user } = data;
    expect(session).not.toBeNull();
    expect(user?.email).toBe(email.toLowerCase());
    expect(user?.aud).toBe("authenticated");
    expect(user?.role).toBe("authenticated");
    expect(user?.email_confirmed_at).toBeTruthy();
    expect(user?.app_metadata).toEqual({ provider: "email", providers: ["email"] });
    expect(user?.user_metadata).toMatchObject({ full_name: "Ada", email_verified: true });
    expect(user?.identities?.[0]).toMatchObject({ id: user?.id, user_id: user?.id, provider: "email" });
    expect(user?.is_anonymous).toBe(false);
    expect(session?.token_type).toBe("bearer");
    expect(session?.expires_in).toBe(3600);
    expect(session?.refresh_token).toMatch(/^[a-z2-7]{12}$/);

    const claims = decodeJwt(session?.access_token ?? "");
    expect(Object.keys(claims)).toEqual([
      "iss",
      "sub",
      "aud",
      "exp",
      "iat",
      "email",
      "phone",
      "app_metadata",
      "user_metadata",
      "role",
      "aal",
      "amr",
      "session_id",
      "is_anonymous",
    ]);
    expect(claims).toMatchObject({
      sub: user?.id,
      aud: "authenticated",
      email: email.toLowerCase(),
      phone: "",
      role: "authenticated",
      aal: "aal1",
      is_anonymous: false,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(claims.amr).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
    const { rows } = await server.database.query("select user_id from auth.sessions where id = $1", [
      claims.session_id,
    ]);
    expect(rows[0]?.user_id).toBe(user?.id);
  });

  it("refuses a duplicate sign-up with user_already_exists when autoconfirm is on", async () => {
    const email = uniqueEmail();
    const client = server.client();
    await client.auth.signUp({ email, password: "secret-pass-1" });
    const { error } = await client.auth.signUp({ email: email.toUpperCase(), password: "another-pass-2" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("user_already_exists");
    expect(error?.message).toBe("User already registered");
  });

  it("signs in a user created in SQL with pgcrypto crypt() (seed 001 style)", async () => {
    const client = server.client();
    const { data, error } = await client.auth.signInWithPassword({
      email: "director@test.local",
      password: SEED_PASSWORD,
    });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toMatchObject({ full_name: "Sales Director", role: "sales_director" });
    const claims = decodeJwt(data.session?.access_token ?? "");
    expect(claims.sub).toBe(data.user?.id);
    // The token works against the data API as the user, under the CRM's RLS.
    const { data: tenants, error: restError } = await client.from("tenants").select("slug");
    expect(restError).toBeNull();
    expect(tenants).toEqual([{ slug: "acme-foods" }]);
  });

  it("also signs in a user inserted by hand with crypt() and null token columns", async () => {
    const email = uniqueEmail("sql");
    await server.database.query(
      `insert into auth.users (id, instance_id, email, encrypted_password, email_confirmed_at, created_at, updated_at,
                               raw_user_meta_data, role, aud)
       values (gen_random_uuid(), '00000000-0000-0000-0000-000000000000', $1, extensions.crypt('Pgcrypto-1', extensions.gen_salt('bf')),
               now(), now(), now(), '{"full_name": "By SQL"}', 'authenticated', 'authenticated')`,
      [email],
    );
    const response = await passwordSignIn(server, email, "Pgcrypto-1");
    expect(response.status).toBe(200);
    expect(response.body.user.identities).toEqual([]);
    expect(response.body.user.app_metadata).toEqual({});
  });

  it("answers a wrong password or unknown email with invalid_credentials", async () => {
    const client = server.client();
    for (const [email, password] of [
      ["manager@test.local", "wrong-password"],
      ["nobody@test.local", SEED_PASSWORD],
    ] as const) {
      const { data, error } = await client.auth.signInWithPassword({ email, password });
      expect(data.session).toBeNull();
      expect(error?.status).toBe(400);
      expect(error?.code).toBe("invalid_credentials");
      expect(error?.message).toBe("Invalid login credentials");
    }
  });

  it("matches emails case-insensitively", async () => {
    const response = await passwordSignIn(server, "Admin@Test.Local", SEED_PASSWORD);
    expect(response.status).toBe(200);
    expect(response.body.user.email).toBe("admin@test.local");
  });

  it("getUser returns the user; updateUser merges data and changes the password", async () => {
    const email = uniqueEmail();
    const client = server.client();
    await client.auth.signUp({ email, password: "first-pass-1", options: { data: { a: 1, b: 2 } } });
    const { data: got, error: getError } = await client.auth.getUser();
    expect(getError).toBeNull();
    expect(got.user?.email).toBe(email);

    const { data: updated, error } = await client.auth.updateUser({ data: { b: null, c: 3 } });
    expect(error).toBeNull();
    expect(updated.user?.user_metadata).toMatchObject({ a: 1, c: 3 });
    expect(updated.user?.user_metadata).not.toHaveProperty("b");

    const { error: same } = await client.auth.updateUser({ password: "first-pass-1" });
    expect(same?.code).toBe("same_password");
    const { error: weak } = await client.auth.updateUser({ password: "abc" });
    expect(weak?.code).toBe("weak_password");
    expect((weak as { reasons?: string[] } | null)?.reasons).toEqual(["length"]);

    const { error: changeError } = await client.auth.updateUser({ password: "second-pass-2" });
    expect(changeError).toBeNull();
    const other = server.client();
    expect((await other.auth.signInWithPassword({ email, password: "first-pass-1" })).error?.code).toBe(
      "invalid_credentials",
    );
    const { data: again, error: againError } = await other.auth.signInWithPassword({
      email,
      password: "second-pass-2",
    });
    expect(againError).toBeNull();
    expect(again.session?.access_token).toBeTruthy();
  });

  it("a password change ends the user's other sessions but keeps the current one", async () => {
    const email = uniqueEmail();
    const first = server.client();
    await first.auth.signUp({ email, password: "first-pass-1" });
    const second = server.client();
    const { data } = await second.auth.signInWithPassword({ email, password: "first-pass-1" });
    expect((await first.auth.updateUser({ password: "second-pass-2" })).error).toBeNull();
    expect((await first.auth.getUser()).error).toBeNull();
    const raw = await api(server, "GET", "/user", { token: data.session?.access_token ?? "" });
    expect(raw.status).toBe(403);
    expect(raw.body.code).toBe("session_not_found");
    // auth-js turns session_not_found into AuthSessionMissingError and drops the session.
    const { error } = await second.auth.getUser();
    expect(error?.name).toBe("AuthSessionMissingError");
  });

  it("changes the email after the emailed link is followed", async () => {
    const email = uniqueEmail("old");
    const next = uniqueEmail("new");
    const client = server.client();
    await client.auth.signUp({ email, password: "change-pass-1" });
    const { data, error } = await client.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.new_email).toBe(next);
    const mail = await latestMail(server, next);
    expect(mail?.kind).toBe("email_change");
    expect(await latestMail(server, email)).toMatchObject({ kind: "email_change" });

    const { data: verified, error: verifyError } = await client.auth.verifyOtp({
      email: next,
      token: mail?.otp ?? "",
      type: "email_change",
    });
    expect(verifyError).toBeNull();
    expect(verified.user?.email).toBe(next);
    expect(verified.user?.new_email).toBeUndefined();
    expect((await passwordSignIn(server, next, "change-pass-1")).status).toBe(200);
    expect((await passwordSignIn(server, email, "change-pass-1")).status).toBe(400);
  });

  it("refuses an email change to an address another user holds", async () => {
    const client = server.client();
    await client.auth.signUp({ email: uniqueEmail(), password: "change-pass-1" });
    const { error } = await client.auth.updateUser({ email: "manager@test.local" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("email_exists");
  });

  it("refuses app_metadata from a user", async () => {
    const client = server.client();
    const { data } = await client.auth.signUp({ email: uniqueEmail(), password: "meta-pass-1" });
    const response = await api(server, "PUT", "/user", {
      token: data.session?.access_token ?? "",
      body: { app_metadata: { role: "admin" } },
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      code: "not_admin",
      message: "Updating app_metadata requires admin privileges",
    });
  });

  it("signs in with a password that no longer meets the rules and reports weak_password", async () => {
    const email = uniqueEmail();
    await server.client().auth.signUp({ email, password: "abcdef" });
    await server.database.query(
      "update auth.users set encrypted_password = extensions.crypt('abc', extensions.gen_salt('bf')) where email = $1",
      [email],
    );
    const response = await passwordSignIn(server, email, "abc");
    expect(response.status).toBe(200);
    expect(response.body.weak_password).toEqual({
      reasons: ["length"],
      message: "Password should be at least 6 characters.",
    });
  });

  it("refreshSession rotates the refresh token and keeps the session", async () => {
    const client = server.client();
    const { data } = await client.auth.signInWithPassword({
      email: "manager@test.local",
      password: SEED_PASSWORD,
    });
    const before = data.session;
    const { data: refreshed, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(refreshed.session?.refresh_token).not.toBe(before?.refresh_token);
    const claims = decodeJwt(refreshed.session?.access_token ?? "");
    expect(claims.session_id).toBe(decodeJwt(before?.access_token ?? "").session_id);
    expect(claims.amr).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
  });

  it("serves /settings, /health and an empty JWKS", async () => {
    const settings = await api(server, "GET", "/settings");
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({
      disable_signup: false,
      mailer_autoconfirm: true,
      external: { email: true, phone: false, anonymous_users: false, github: false },
    });
    const health = await api(server, "GET", "/health", { token: null, headers: { apikey: "" } });
    expect(health.body).toMatchObject({ name: "GoTrue" });
    expect((await api(server, "GET", "/.well-known/jwks.json")).body).toEqual({ keys: [] });
  });
});
