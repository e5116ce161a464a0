import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { type ApiResponse, api, decodeJwt, passwordSignIn, startAuthServer, uniqueEmail } from "./helpers.js";

/** Rotation and reuse as reference/auth.md §6 describes them, with the Supabase CLI's 10 s interval. */
describe("auth: refresh token rotation, reuse interval, family revocation", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ auth: { refresh_token_reuse_interval: 10 } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function newSession(): Promise<{ refresh: string; access: string; email: string }> {
    const email = uniqueEmail("rotate");
    const signedUp = await api(server, "POST", "/signup", { body: { email, password: "rotate-pass-1" } });
    expect(signedUp.status).toBe(200);
    return { refresh: signedUp.body.refresh_token, access: signedUp.body.access_token, email };
  }

  function refresh(token: string): Promise<ApiResponse> {
    return api(server, "POST", "/token?grant_type=refresh_token", { body: { refresh_token: token } });
  }

  /** Moves a token's `updated_at` into the past, as if `seconds` had gone by since it was revoked. */
  async function age(token: string, seconds: number): Promise<void> {
    await server.database.query(
      "update auth.refresh_tokens set updated_at = updated_at - make_interval(secs => $2) where token = $1",
      [token, seconds],
    );
  }

  async function tokenRows(sessionId: string) {
    const { rows } = await server.database.query(
      "select token, parent, revoked from auth.refresh_tokens where session_id = $1 order by id",
      [sessionId],
    );
    return rows as { token: string; parent: string | null; revoked: boolean }[];
  }

  it("issues a child token whose parent is the used one, and revokes the parent", async () => {
    const { refresh: r0, access } = await newSession();
    const first = await refresh(r0);
    expect(first.status).toBe(200);
    const r1 = first.body.refresh_token as string;
    expect(r1).not.toBe(r0);
    expect(first.headers.get("sb-auth-user-id")).toBe(first.body.user.id);
    const sessionId = decodeJwt(access).session_id as string;
    expect(first.headers.get("sb-auth-session-id")).toBe(sessionId);
    expect(await tokenRows(sessionId)).toEqual([
      { token: r0, parent: null, revoked: true },
      { token: r1, parent: r0, revoked: false },
    ]);
    const { rows } = await server.database.query("select refreshed_at from auth.sessions where id = $1", [
      sessionId,
    ]);
    expect(rows[0]?.refreshed_at).not.toBeNull();
  });

  it("hands back the active token when its parent is replayed (lost response), even after the interval", async () => {
    const { refresh: r0, access } = await newSession();
    const r1 = (await refresh(r0)).body.refresh_token as string;
    const replay = await refresh(r0);
    expect(replay.status).toBe(200);
    expect(replay.body.refresh_token).toBe(r1);
    await age(r0, 60);
    const late = await refresh(r0);
    expect(late.status).toBe(200);
    expect(late.body.refresh_token).toBe(r1);
    expect(await tokenRows(decodeJwt(access).session_id as string)).toHaveLength(2);
  });

  it("lets an older revoked token refresh inside the reuse interval", async () => {
    const { refresh: r0 } = await newSession();
    const r1 = (await refresh(r0)).body.refresh_token as string;
    const r2 = (await refresh(r1)).body.refresh_token as string;
    const reused = await refresh(r0);
    expect(reused.status).toBe(200);
    expect([r1, r2]).not.toContain(reused.body.refresh_token);
  });

  it("revokes the whole family when a used token is replayed after the interval", async () => {
    const { refresh: r0, access } = await newSession();
    const sessionId = decodeJwt(access).session_id as string;
    const r1 = (await refresh(r0)).body.refresh_token as string;
    const r2 = (await refresh(r1)).body.refresh_token as string;
    await age(r0, 11);
    const replay = await refresh(r0);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({
      code: "refresh_token_already_used",
      message: "Invalid Refresh Token: Already Used",
    });
    expect((await tokenRows(sessionId)).every((row) => row.revoked)).toBe(true);
    // The family stays revoked: once the interval has passed, the newest token is refused too.
    await server.database.query(
      "update auth.refresh_tokens set updated_at = now() - interval '11 seconds' where session_id = $1",
      [sessionId],
    );
    const afterwards = await refresh(r2);
    expect(afterwards.status).toBe(400);
    expect(afterwards.body.code).toBe("refresh_token_already_used");
  });

  it("answers two concurrent refreshes of one token with the same child", async () => {
    const { refresh: r0, access } = await newSession();
    const [a, b] = await Promise.all([refresh(r0), refresh(r0)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.refresh_token).toBe(b.body.refresh_token);
    expect(await tokenRows(decodeJwt(access).session_id as string)).toHaveLength(2);
  });

  it("refreshes another user's token as that user, never as the caller", async () => {
    const mine = await newSession();
    const theirs = await newSession();
    const response = await api(server, "POST", "/token?grant_type=refresh_token", {
      token: mine.access,
      body: { refresh_token: theirs.refresh },
    });
    expect(response.status).toBe(200);
    expect(response.body.user.email).toBe(theirs.email);
    expect(decodeJwt(response.body.access_token).sub).toBe(decodeJwt(theirs.access).sub);
    expect(decodeJwt(response.body.access_token).session_id).toBe(decodeJwt(theirs.access).session_id);
  });

  it.each([
    ["an unknown token", { refresh_token: "aaaaaaaaaaaa" }, 400, { code: "refresh_token_not_found" }],
    [
      "an empty token",
      { refresh_token: "" },
      400,
      { error: "invalid_request", error_description: "refresh_token required" },
    ],
    ["no token", {}, 400, { error: "invalid_request", error_description: "refresh_token required" }],
  ])("refuses %s", async (_name, body, status, expected) => {
    const response = await api(server, "POST", "/token?grant_type=refresh_token", { body });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject(expected);
  });

  it("refuses a token whose session has ended (sign-out) as not found", async () => {
    const { refresh: r0, access } = await newSession();
    expect((await api(server, "POST", "/logout", { token: access })).status).toBe(204);
    const response = await refresh(r0);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("refresh_token_not_found");
  });

  it("refuses a session past its not_after with session_expired", async () => {
    const { refresh: r0, access } = await newSession();
    await server.database.query(
      "update auth.sessions set not_after = now() - interval '1 second' where id = $1",
      [decodeJwt(access).session_id],
    );
    const response = await refresh(r0);
    expect(response.body).toEqual({
      code: "session_expired",
      message: "Invalid Refresh Token: Session Expired",
    });
  });

  it("supabase-js refreshSession() works against a signed-in client and its new token is accepted", async () => {
    const client = server.client();
    const { email } = await newSession();
    await client.auth.signInWithPassword({ email, password: "rotate-pass-1" });
    const { data, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    const { data: user } = await client.auth.getUser(data.session?.access_token);
    expect(user.user?.email).toBe(email);
    const signIn = await passwordSignIn(server, email, "rotate-pass-1");
    expect(signIn.status).toBe(200);
  });
});
