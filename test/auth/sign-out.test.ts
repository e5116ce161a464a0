import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, signToken, startAuthServer, uniqueEmail } from "./helpers.js";

describe("auth: sign-out scopes and token checks on [user] routes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** One user signed in on three clients. */
  async function threeSessions(): Promise<{ clients: SupabaseClient[]; tokens: string[] }> {
    const email = uniqueEmail("logout");
    await server.client().auth.signUp({ email, password: "logout-pass-1" });
    const clients: SupabaseClient[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const client = server.client();
      const { data, error } = await client.auth.signInWithPassword({ email, password: "logout-pass-1" });
      expect(error).toBeNull();
      clients.push(client);
      tokens.push(data.session?.access_token ?? "");
    }
    return { clients, tokens };
  }

  async function userStatus(token: string): Promise<number> {
    return (await api(server, "GET", "/user", { token })).status;
  }

  it("signOut({ scope: 'others' }) ends every other session and keeps this one", async () => {
    const { clients, tokens } = await threeSessions();
    const { error } = await (clients[0] as SupabaseClient).auth.signOut({ scope: "others" });
    expect(error).toBeNull();
    expect(await Promise.all(tokens.map(userStatus))).toEqual([200, 403, 403]);
  });

  it("signOut({ scope: 'local' }) ends only this session", async () => {
    const { clients, tokens } = await threeSessions();
    const { error } = await (clients[1] as SupabaseClient).auth.signOut({ scope: "local" });
    expect(error).toBeNull();
    expect(await Promise.all(tokens.map(userStatus))).toEqual([200, 403, 200]);
    const { data } = await (clients[1] as SupabaseClient).auth.getSession();
    expect(data.session).toBeNull();
  });

  it("signOut() is global by default and ends every session of the user", async () => {
    const { clients, tokens } = await threeSessions();
    const sessionIds = tokens.map((token) => decodeJwt(token).session_id);
    expect((await (clients[2] as SupabaseClient).auth.signOut()).error).toBeNull();
    expect(await Promise.all(tokens.map(userStatus))).toEqual([403, 403, 403]);
    const refused = await api(server, "GET", "/user", { token: tokens[0] as string });
    expect(refused.body).toEqual({
      code: "session_not_found",
      message: "Session from session_id claim in JWT does not exist",
    });
    const { rows } = await server.database.query(
      "select count(*)::int as n from auth.sessions where id = any($1)",
      [sessionIds],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it("answers 204 with no body and refuses an unknown scope", async () => {
    const { tokens } = await threeSessions();
    const bad = await api(server, "POST", "/logout?scope=everywhere", { token: tokens[0] as string });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: "validation_failed", message: 'Unsupported logout scope "everywhere"' });
    const ok = await api(server, "POST", "/logout?scope=local", { token: tokens[0] as string });
    expect(ok.status).toBe(204);
    expect(ok.body).toBeNull();
  });

  describe("the Bearer token of [user] routes", () => {
    let valid: string;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      const { tokens } = await threeSessions();
      valid = tokens[0] as string;
      claims = decodeJwt(valid);
    });

    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
    const body = (payload: Record<string, unknown>) =>
      Buffer.from(JSON.stringify(payload)).toString("base64url");

    it.each([
      ["no Authorization header", async () => null, 401, "no_authorization"],
      ["a malformed token", async () => "not-a-jwt", 403, "bad_jwt"],
      ["a token signed with another secret", async () => signToken(claims, "x".repeat(40)), 403, "bad_jwt"],
      ["an `alg: none` token", async () => `${header("none")}.${body(claims)}.`, 403, "bad_jwt"],
      [
        "an expired token",
        async () =>
          signToken({ ...claims, exp: Math.floor(Date.now() / 1000) - 120 }, server.config.jwt.secret),
        403,
        "bad_jwt",
      ],
      ["the anon key (no sub)", async () => server.anonKey, 403, "bad_jwt"],
      [
        "a token whose sub is not a uuid",
        async () => signToken({ ...claims, sub: "alice" }, server.config.jwt.secret),
        400,
        "bad_jwt",
      ],
      [
        "a token for a user that does not exist",
        async () =>
          signToken({ ...claims, sub: "00000000-0000-4000-8000-000000000099" }, server.config.jwt.secret),
        403,
        "user_not_found",
      ],
      [
        "a token whose session does not exist",
        async () =>
          signToken(
            { ...claims, session_id: "00000000-0000-4000-8000-000000000098" },
            server.config.jwt.secret,
          ),
        403,
        "session_not_found",
      ],
    ])("refuses %s", async (_name, make, status, code) => {
      const token = await make();
      const response = await api(server, "GET", "/user", { token });
      expect(response.status).toBe(status);
      expect(response.body.code).toBe(code);
      expect(response.headers.get("x-sb-error-code")).toBe(code);
    });

    it("words a bad signature and an expiry as GoTrue does", async () => {
      const forged = await api(server, "GET", "/user", { token: await signToken(claims, "y".repeat(40)) });
      expect(forged.body.message).toBe(
        "invalid JWT: unable to parse or verify signature, token signature is invalid: signature is invalid",
      );
      const expired = await api(server, "GET", "/user", {
        token: await signToken({ ...claims, exp: 1_000_000_000 }, server.config.jwt.secret),
      });
      expect(expired.body.message).toBe(
        "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired",
      );
    });

    it("accepts the valid token", async () => {
      expect(await userStatus(valid)).toBe(200);
    });
  });
});
