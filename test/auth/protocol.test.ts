import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, SEED_PASSWORD, startAuthServer, uniqueEmail } from "./helpers.js";

/** Request -> status, code, message; every bad input the issue names, in both error shapes. */
describe("auth: bad input and error bodies", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ auth: { password_requirements: "letters_digits" } });
  });
  afterAll(async () => {
    await server.close();
  });

  const cases: [string, string, string, { body?: unknown; raw?: string }, number, string, string][] = [
    ["malformed JSON", "POST", "/token?grant_type=password", { raw: "{bad" }, 400, "bad_json", ""],
    ["an empty body", "POST", "/signup", { raw: "" }, 400, "bad_json", ""],
    ["a JSON array body", "POST", "/signup", { raw: "[]" }, 400, "bad_json", ""],
    [
      "a number where a string belongs",
      "POST",
      "/token?grant_type=password",
      { body: { email: 5, password: "x" } },
      400,
      "bad_json",
      "",
    ],
    [
      "an unknown grant_type",
      "POST",
      "/token?grant_type=magic",
      { body: {} },
      400,
      "invalid_credentials",
      "unsupported_grant_type",
    ],
    ["no grant_type", "POST", "/token", { body: {} }, 400, "invalid_credentials", "unsupported_grant_type"],
    [
      "a password grant without email",
      "POST",
      "/token?grant_type=password",
      { body: { password: "x" } },
      400,
      "validation_failed",
      "missing email or phone",
    ],
    [
      "a password grant with email and phone",
      "POST",
      "/token?grant_type=password",
      { body: { email: "a@b.co", phone: "123", password: "x" } },
      400,
      "validation_failed",
      "Only an email address or phone number should be provided on login.",
    ],
    [
      "a wrong password",
      "POST",
      "/token?grant_type=password",
      { body: { email: "admin@test.local", password: "nope" } },
      400,
      "invalid_credentials",
      "Invalid login credentials",
    ],
    [
      "a sign-up without password",
      "POST",
      "/signup",
      { body: { email: "np@example.com" } },
      422,
      "validation_failed",
      "Signup requires a valid password",
    ],
    [
      "a sign-up with an invalid email",
      "POST",
      "/signup",
      { body: { email: "not-an-email", password: "abc123" } },
      400,
      "validation_failed",
      "Unable to validate email address: invalid format",
    ],
    [
      "a sign-up with a short password",
      "POST",
      "/signup",
      { body: { email: "short@example.com", password: "ab1" } },
      422,
      "weak_password",
      "Password should be at least 6 characters.",
    ],
    [
      "a sign-up with a password missing digits",
      "POST",
      "/signup",
      { body: { email: "digits@example.com", password: "abcdefgh" } },
      422,
      "weak_password",
      "Password should contain at least one character of each: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.",
    ],
    [
      "a sign-up with a password over 72 bytes",
      "POST",
      "/signup",
      { body: { email: "long@example.com", password: `a1${"x".repeat(80)}` } },
      400,
      "validation_failed",
      "Password cannot be longer than 72 characters",
    ],
    [
      "an anonymous sign-in while disabled",
      "POST",
      "/signup",
      { body: { data: {} } },
      422,
      "anonymous_provider_disabled",
      "Anonymous sign-ins are disabled",
    ],
    ["an unknown path", "GET", "/nowhere", {}, 404, "unknown", "Not Found"],
  ];

  it.each(cases)("answers %s", async (_name, method, path, input, status, code, message) => {
    const response = await api(server, method, path, input);
    expect(response.status).toBe(status);
    expect(response.body.code).toBe(code);
    if (message) expect(response.body.message).toBe(message);
    expect(response.headers.get("x-sb-error-code")).toBe(code);
    expect(response.headers.get("x-supabase-api-version")).toBe("2024-01-01");
  });

  it("reports weak_password reasons in the body", async () => {
    const response = await api(server, "POST", "/signup", {
      body: { email: "w@example.com", password: "abc" },
    });
    expect(response.body).toEqual({
      code: "weak_password",
      message:
        "Password should be at least 6 characters. Password should contain at least one character of each: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.",
      weak_password: { reasons: ["length", "characters"] },
    });
  });

  it("uses the legacy body without X-Supabase-Api-Version (and does not echo it)", async () => {
    const response = await api(server, "POST", "/token?grant_type=password", {
      body: { email: "admin@test.local", password: "nope" },
      headers: { "x-supabase-api-version": "" },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      code: 400,
      error_code: "invalid_credentials",
      msg: "Invalid login credentials",
    });
    expect(response.headers.get("x-supabase-api-version")).toBeNull();
    expect(response.headers.get("x-sb-error-code")).toBe("invalid_credentials");
    const old = await api(server, "POST", "/token?grant_type=password", {
      body: { email: "admin@test.local", password: "nope" },
      headers: { "x-supabase-api-version": "2023-06-01" },
    });
    expect(old.body.error_code).toBe("invalid_credentials");
  });

  it("refuses a body over 1 MB with 413 and no user written", async () => {
    const email = uniqueEmail("huge");
    const response = await api(server, "POST", "/signup", {
      body: { email, password: "huge-pass-1", data: { blob: "x".repeat(1024 * 1024) } },
    });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe("validation_failed");
    const { rows } = await server.database.query(
      "select count(*)::int as n from auth.users where email = $1",
      [email],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it("answers CORS preflights for the auth routes with the headers auth-js sends", async () => {
    const response = await fetch(`${server.url}/auth/v1/token?grant_type=password`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "authorization, apikey, x-client-info, content-type, x-supabase-api-version",
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-headers")).toContain("x-supabase-api-version");
    expect(response.headers.get("access-control-expose-headers")).toMatch(/x-supabase-api-version/i);
  });

  it("does not require apikey on the open routes and accepts a body without content type", async () => {
    const verify = await api(server, "GET", "/verify?type=signup&token=nothing", {
      token: null,
      headers: { apikey: "" },
      redirect: "manual",
    });
    expect(verify.status).toBe(303);
    const response = await fetch(`${server.url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      body: JSON.stringify({ email: "admin@test.local", password: SEED_PASSWORD }),
    });
    expect(response.status).toBe(200);
  });
});

describe("auth: rate limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    // The tests stand behind a proxy on loopback, which names each client in X-Forwarded-For.
    server = await startAuthServer({
      rateLimit: { sign_in_sign_ups: 3, token_refresh: 2 },
      trustedProxies: ["127.0.0.0/8", "::1"],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const signIn = (email: string, ip: string) =>
    api(server, "POST", "/token?grant_type=password", {
      body: { email, password: "wrong" },
      headers: { "x-forwarded-for": ip },
    });

  it("limits password sign-ins per IP with 429 over_request_rate_limit and Retry-After", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await signIn(uniqueEmail(), "203.0.113.7")).status);
    expect(statuses).toEqual([400, 400, 400]);
    const limited = await signIn(uniqueEmail(), "203.0.113.7");
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ code: "over_request_rate_limit", message: "Request rate limit reached" });
    // 3 per 5 minutes refills one request every 100 s.
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(90);
    expect((await signIn(uniqueEmail(), "203.0.113.8")).status).toBe(400);
  });

  it("limits sign-ins per email address across IPs", async () => {
    const email = "director@test.local";
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn(email, `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it("limits refreshes per IP", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await api(server, "POST", "/token?grant_type=refresh_token", {
        body: { refresh_token: "aaaaaaaaaaaa" },
        headers: { "x-forwarded-for": "192.0.2.50" },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 429]);
  });

  it("limits sign-ups per IP", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await api(server, "POST", "/signup", {
        body: { email: uniqueEmail("limited"), password: "limit-pass-1" },
        headers: { "x-forwarded-for": "192.0.2.60" },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe("auth: anonymous sign-in", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ auth: { enable_anonymous_sign_ins: true } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("signs in anonymously and lets the user add an email later", async () => {
    const client = server.client();
    const { data, error } = await client.auth.signInAnonymously({ options: { data: { theme: "dark" } } });
    expect(error).toBeNull();
    expect(data.user?.is_anonymous).toBe(true);
    expect(data.user?.email).toBe("");
    expect(data.user?.app_metadata).toEqual({ provider: "anonymous", providers: ["anonymous"] });
    const claims = decodeJwt(data.session?.access_token ?? "");
    expect(claims).toMatchObject({ is_anonymous: true, email: "", role: "authenticated" });
    expect(claims.amr).toEqual([{ method: "anonymous", timestamp: expect.any(Number) }]);

    const { error: passwordError } = await client.auth.updateUser({ password: "anon-pass-1" });
    expect(passwordError?.code).toBe("validation_failed");

    const email = uniqueEmail("anon");
    const { data: upgraded, error: upgradeError } = await client.auth.updateUser({ email });
    expect(upgradeError).toBeNull();
    expect(upgraded.user?.email).toBe(email);
    expect(upgraded.user?.is_anonymous).toBe(false);
    expect((await client.auth.updateUser({ password: "anon-pass-1" })).error).toBeNull();
    expect(
      (await server.client().auth.signInWithPassword({ email, password: "anon-pass-1" })).error,
    ).toBeNull();
  });
});
