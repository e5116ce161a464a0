import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, passwordSignIn, SEED_PASSWORD, startAuthServer, uniqueEmail } from "./helpers.js";

describe("auth: admin API (service_role)", () => {
  let server: TestServer;
  let admin: SupabaseClient;
  beforeAll(async () => {
    server = await startAuthServer();
    admin = server.client(server.serviceRoleKey);
  });
  afterAll(async () => {
    await server.close();
  });

  it("creates, gets, updates and deletes a user", async () => {
    const email = uniqueEmail("admin");
    const { data, error } = await admin.auth.admin.createUser({
      email,
      password: "admin-pass-1",
      email_confirm: true,
      user_metadata: { full_name: "Made By Admin" },
      app_metadata: { tenant: "acme" },
    });
    expect(error).toBeNull();
    const id = data.user?.id as string;
    expect(data.user).toMatchObject({
      email,
      role: "authenticated",
      aud: "authenticated",
      app_metadata: { provider: "email", providers: ["email"], tenant: "acme" },
      user_metadata: { full_name: "Made By Admin", email_verified: true },
    });
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect((await passwordSignIn(server, email, "admin-pass-1")).status).toBe(200);

    const { data: got } = await admin.auth.admin.getUserById(id);
    expect(got.user?.email).toBe(email);

    const { data: updated, error: updateError } = await admin.auth.admin.updateUserById(id, {
      user_metadata: { nickname: "M" },
      app_metadata: { tenant: null, plan: "pro" },
      password: "admin-pass-2",
    });
    expect(updateError).toBeNull();
    expect(updated.user?.user_metadata).toMatchObject({ full_name: "Made By Admin", nickname: "M" });
    expect(updated.user?.app_metadata).toEqual({ provider: "email", providers: ["email"], plan: "pro" });
    expect((await passwordSignIn(server, email, "admin-pass-2")).status).toBe(200);

    expect((await admin.auth.admin.deleteUser(id)).error).toBeNull();
    const { error: goneError } = await admin.auth.admin.getUserById(id);
    expect(goneError?.status).toBe(404);
    expect(goneError?.code).toBe("user_not_found");
    const { rows } = await server.database.query(
      "select count(*)::int as n from auth.identities where user_id = $1",
      [id],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it("refuses a second user with the same email (email_exists) and a bad id", async () => {
    const { error } = await admin.auth.admin.createUser({
      email: "ADMIN@test.local",
      password: "whatever-1",
    });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("email_exists");
    const bad = await api(server, "GET", "/admin/users/not-a-uuid", { token: server.serviceRoleKey });
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual({ code: "validation_failed", message: "user_id must be an UUID" });
  });

  it("lists users page by page with X-Total-Count and GoTrue's Link header", async () => {
    for (let i = 0; i < 5; i++) {
      await admin.auth.admin.createUser({ email: uniqueEmail("page"), password: "page-pass-1" });
    }
    const { rows } = await server.database.query(
      "select count(*)::int as n from auth.users where aud = 'authenticated'",
    );
    const total = rows[0]?.n as number;
    const lastPage = Math.ceil(total / 2);

    const first = await api(server, "GET", "/admin/users?page=&per_page=2", { token: server.serviceRoleKey });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-total-count")).toBe(String(total));
    expect(first.headers.get("link")).toBe(
      `</admin/users?page=2&per_page=2>; rel="next", </admin/users?page=${lastPage}&per_page=2>; rel="last"`,
    );
    expect(first.body.aud).toBe("authenticated");
    expect(first.body.users).toHaveLength(2);

    const last = await api(server, "GET", `/admin/users?per_page=2&page=${lastPage}`, {
      token: server.serviceRoleKey,
    });
    expect(last.headers.get("link")).toBe(`</admin/users?page=${lastPage}&per_page=2>; rel="last"`);

    const { data, error } = await admin.auth.admin.listUsers({ page: 1, perPage: 2 });
    expect(error).toBeNull();
    expect(data.users).toHaveLength(2);
    expect(data).toMatchObject({ nextPage: 2, lastPage, total });
    const { data: second } = await admin.auth.admin.listUsers({ page: 2, perPage: 2 });
    const firstIds = data.users.map((user) => user.id);
    expect(second.users.map((user) => user.id).some((id) => firstIds.includes(id))).toBe(false);

    const bad = await api(server, "GET", "/admin/users?per_page=0", { token: server.serviceRoleKey });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");
  });

  it("bans a user: no sign-in, no refresh; ban_duration none lifts it", async () => {
    const email = uniqueEmail("banned");
    const { data } = await admin.auth.admin.createUser({
      email,
      password: "ban-pass-1",
      email_confirm: true,
    });
    const id = data.user?.id as string;
    const session = (await passwordSignIn(server, email, "ban-pass-1")).body;

    const { data: banned, error } = await admin.auth.admin.updateUserById(id, { ban_duration: "24h" });
    expect(error).toBeNull();
    expect(new Date(banned.user?.banned_until ?? 0).getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);

    const signIn = await passwordSignIn(server, email, "ban-pass-1");
    expect(signIn.status).toBe(400);
    expect(signIn.body).toEqual({ code: "user_banned", message: "User is banned" });
    const refresh = await api(server, "POST", "/token?grant_type=refresh_token", {
      body: { refresh_token: session.refresh_token },
    });
    // The ban ended the user's sessions at once (a global sign-out), their refresh tokens with them.
    expect(refresh.status).toBe(400);
    expect(refresh.body).toEqual({
      code: "refresh_token_not_found",
      message: "Invalid Refresh Token: Refresh Token Not Found",
    });

    const badDuration = await api(server, "PUT", `/admin/users/${id}`, {
      token: server.serviceRoleKey,
      body: { ban_duration: "1 day" },
    });
    expect(badDuration.status).toBe(400);
    expect(badDuration.body.code).toBe("validation_failed");

    await admin.auth.admin.updateUserById(id, { ban_duration: "none" });
    expect((await passwordSignIn(server, email, "ban-pass-1")).status).toBe(200);
  });

  it("soft-deletes: the row stays with its address obfuscated and its sessions gone", async () => {
    const email = uniqueEmail("soft");
    const { data } = await admin.auth.admin.createUser({
      email,
      password: "soft-pass-1",
      email_confirm: true,
    });
    const id = data.user?.id as string;
    await passwordSignIn(server, email, "soft-pass-1");
    expect((await admin.auth.admin.deleteUser(id, true)).error).toBeNull();
    const { rows } = await server.database.query(
      "select email, deleted_at, encrypted_password, (select count(*)::int from auth.sessions where user_id = $1) as sessions from auth.users where id = $1",
      [id],
    );
    expect(rows[0]?.email).not.toBe(email);
    expect(rows[0]?.deleted_at).not.toBeNull();
    expect(rows[0]?.encrypted_password).toBeNull();
    expect(rows[0]?.sessions).toBe(0);
    expect((await passwordSignIn(server, email, "soft-pass-1")).status).toBe(400);
  });

  it("refuses the admin API to anyone but service_role", async () => {
    const user = await passwordSignIn(server, "admin@test.local", SEED_PASSWORD);
    for (const token of [server.anonKey, user.body.access_token as string]) {
      const response = await api(server, "GET", "/admin/users", { token });
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ code: "not_admin", message: "User not allowed" });
    }
    const anonymous = server.client();
    const { error } = await anonymous.auth.admin.listUsers();
    expect(error?.code).toBe("not_admin");
    const missing = await api(server, "POST", "/admin/users", {
      token: null,
      body: { email: uniqueEmail() },
    });
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe("no_authorization");
  });

  it("takes a bcrypt password_hash (users synced from a Supabase project keep their passwords)", async () => {
    const email = uniqueEmail("hash");
    const { rows } = await server.database.query(
      "select extensions.crypt('Synced-1', extensions.gen_salt('bf', 10)) as hash",
    );
    const created = await api(server, "POST", "/admin/users", {
      token: server.serviceRoleKey,
      body: { email, password_hash: rows[0]?.hash, email_confirm: true },
    });
    expect(created.status).toBe(200);
    expect((await passwordSignIn(server, email, "Synced-1")).status).toBe(200);
    const bad = await api(server, "POST", "/admin/users", {
      token: server.serviceRoleKey,
      body: { email: uniqueEmail(), password_hash: "plain-text" },
    });
    expect(bad.status).toBe(400);
  });
});
