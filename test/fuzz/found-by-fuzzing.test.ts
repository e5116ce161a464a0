import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { sendRaw } from "./send.js";
import { signHs256 } from "./tokens.js";

/** Requests that once answered 5xx, each pinned with the answer its protocol gives. */
describe("requests found by fuzzing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const service = () => ({ apikey: server.serviceRoleKey, authorization: `Bearer ${server.serviceRoleKey}` });

  it.each(["garbage", "", "a/b/c", ";", "application/json, text/csv"])(
    "/rest/v1 answers PostgREST's 415 to the unparsable Content-Type %j on every writing method",
    async (contentType) => {
      for (const method of ["POST", "PATCH", "PUT", "DELETE", "OPTIONS"]) {
        const response = await sendRaw(server.url, {
          method,
          path: "/rest/v1/contacts?id=eq.1",
          headers: { ...service(), "content-type": contentType },
          body: '{"first_name":"Zoë"}',
        });
        expect(response.status, `${method} ${contentType}`).toBe(415);
        expect(JSON.parse(response.body)).toEqual({
          code: "PGRST107",
          message: `Content-Type not acceptable: ${contentType}`,
          details: null,
          hint: null,
        });
      }
    },
  );

  const NUL_BODIES: [string, string, Record<string, unknown>][] = [
    ["/auth/v1/signup", "email", { email: "a\u0000@example.com", password: "Secret-123!" }],
    ["/auth/v1/signup", "password", { email: "nul@example.com", password: "Secret\u0000123!" }],
    [
      "/auth/v1/signup",
      "data",
      { email: "nul2@example.com", password: "Secret-123!", data: { n: "\u0000" } },
    ],
    ["/auth/v1/token?grant_type=password", "email", { email: "admin@test.local\u0000", password: "x" }],
    ["/auth/v1/token?grant_type=refresh_token", "refresh_token", { refresh_token: "abc\u0000" }],
    ["/auth/v1/verify", "token_hash", { type: "signup", token_hash: "abc\u0000" }],
    ["/auth/v1/recover", "email", { email: "admin@test.local\u0000" }],
  ];
  it.each(NUL_BODIES)("%s answers 400 validation_failed to a NUL in %s", async (path, _field, body) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { apikey: server.anonKey, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_code: "validation_failed" });
  });

  it("a NUL in user_metadata of an admin update or in PUT /user data is 400 validation_failed", async () => {
    const created = await fetch(`${server.url}/auth/v1/admin/users`, {
      method: "POST",
      headers: { ...service(), "content-type": "application/json" },
      body: JSON.stringify({ email: "nul.meta@example.com", password: "Secret-123!", email_confirm: true }),
    });
    const { id } = (await created.json()) as { id: string };
    const update = await fetch(`${server.url}/auth/v1/admin/users/${id}`, {
      method: "PUT",
      headers: { ...service(), "content-type": "application/json" },
      body: JSON.stringify({ user_metadata: { "\u0000": 1 } }),
    });
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({ error_code: "validation_failed" });
  });

  it("GET /auth/v1/verify?token=%00 answers 4xx, never 5xx", async () => {
    const response = await sendRaw(server.url, {
      method: "GET",
      path: "/auth/v1/verify?token=%00&type=signup",
      headers: {},
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error_code: "validation_failed" });
  });

  it.each(["99999999999999999999999999", "18446744073709551615", "9007199254740993"])(
    "GET /auth/v1/admin/users?page=%s answers 400",
    async (page) => {
      const response = await fetch(`${server.url}/auth/v1/admin/users?page=${page}`, { headers: service() });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error_code: "validation_failed" });
    },
  );

  it("a correctly signed token whose role or sub holds a NUL is a client error on both services", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    for (const claims of [
      { role: "authenticated\u0000", sub: "00000000-0000-4000-8000-0000000000aa", exp },
      { role: "authenticated", sub: "00000000-0000-4000-8000-0000000000aa\u0000", exp },
    ]) {
      const token = signHs256(server.config.jwt.secret, claims);
      const headers = { apikey: server.anonKey, authorization: `Bearer ${token}` };
      const rest = await fetch(`${server.url}/rest/v1/contacts?select=id`, { headers });
      expect(rest.status).toBe(400);
      expect(await rest.json()).toMatchObject({ code: "22021" });
      const auth = await fetch(`${server.url}/auth/v1/user`, { headers });
      expect(auth.status).toBeGreaterThanOrEqual(400);
      expect(auth.status).toBeLessThan(500);
    }
  });

  it("an address held in another audience is 422 email_exists on generate_link, invite and otp", async () => {
    const email = `aud-clash-${Date.now()}@example.com`;
    const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/auth/v1${path}`, {
        method: "POST",
        headers: { ...service(), "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    const created = await post("/admin/generate_link", {
      type: "magiclink",
      email,
      data: { name: "Zoë 🌱" },
    });
    expect(created.status).toBe(200);
    const other = { "x-jwt-aud": "other-audience" };
    const cases: [string, Record<string, unknown>][] = [
      ["/admin/generate_link", { type: "magiclink", email }],
      ["/admin/generate_link", { type: "signup", email, password: "Secret-123!✓" }],
      ["/invite", { email }],
      ["/otp", { email }],
    ];
    for (const [path, body] of cases) {
      const response = await post(path, body, other);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(422);
      expect(await response.json()).toMatchObject({ error_code: "email_exists" });
    }
  });

  it("a storage list limit past PostgreSQL's integer is Storage's 400 InvalidParameter", async () => {
    const response = await fetch(`${server.url}/storage/v1/object/list/attachments`, {
      method: "POST",
      headers: { ...service(), "content-type": "application/json" },
      body: JSON.stringify({ prefix: "été", limit: 2147483648 }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: "400", code: "InvalidParameter" });
  });
});
