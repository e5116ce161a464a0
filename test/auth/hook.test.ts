import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, passwordSignIn, SEED_PASSWORD, startAuthServer } from "./helpers.js";

/**
 * The custom access token hook as the Supabase RBAC guide writes it: a SQL function that reads the
 * user's role from a table (under RLS, with a policy for supabase_auth_admin) and adds claims.
 */
const HOOK_SQL = `
  create table public.user_roles (user_id uuid primary key, role text not null);
  alter table public.user_roles enable row level security;
  create policy "auth admin reads roles" on public.user_roles as permissive for select to supabase_auth_admin using (true);
  create table public.hook_control (mode text not null);
  insert into public.hook_control values ('ok');
  create table public.hook_events (event jsonb not null);

  create function public.custom_access_token_hook(event jsonb) returns jsonb
  language plpgsql stable as $$
  declare
    claims jsonb := event -> 'claims';
    mode text := (select c.mode from public.hook_control c);
  begin
    if mode = 'error' then
      return jsonb_build_object('error', jsonb_build_object('http_code', 403, 'message', 'Tenant suspended'));
    elsif mode = 'missing' then
      return jsonb_build_object('claims', claims - 'session_id' - 'aal');
    elsif mode = 'raise' then
      raise exception 'hook failed on purpose';
    end if;
    claims := jsonb_set(claims, '{user_role}', coalesce(to_jsonb((select r.role from public.user_roles r where r.user_id = (event ->> 'user_id')::uuid)), 'null'));
    claims := jsonb_set(claims, '{hook_ran_as}', to_jsonb(current_user::text));
    claims := jsonb_set(claims, '{hook_method}', to_jsonb(event ->> 'authentication_method'));
    claims := jsonb_set(claims, '{hook_event}', to_jsonb(event -> 'metadata' ->> 'name'));
    claims := jsonb_set(claims, '{hook_ip}', coalesce(event -> 'metadata' -> 'ip_address', 'null'));
    return jsonb_build_object('claims', claims);
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.custom_access_token_hook to supabase_auth_admin;
  revoke execute on function public.custom_access_token_hook from authenticated, anon, public;
  grant select on public.user_roles, public.hook_control to supabase_auth_admin;
`;

describe("auth: custom access token hook", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      hook: { enabled: true, uri: "pg-functions://postgres/public/custom_access_token_hook" },
    });
    await server.database.query(HOOK_SQL);
    await server.database.query(
      "insert into public.user_roles select id, 'sales_director' from auth.users where email = 'director@test.local'",
    );
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await server.database.query("update public.hook_control set mode = 'ok'");
  });

  async function setMode(mode: string): Promise<void> {
    await server.database.query("update public.hook_control set mode = $1", [mode]);
  }

  it("adds its claims on sign-in and on every refresh, running as supabase_auth_admin", async () => {
    const client = server.client();
    const { data, error } = await client.auth.signInWithPassword({
      email: "director@test.local",
      password: SEED_PASSWORD,
    });
    expect(error).toBeNull();
    const claims = decodeJwt(data.session?.access_token ?? "");
    expect(claims).toMatchObject({
      user_role: "sales_director",
      hook_ran_as: "supabase_auth_admin",
      hook_method: "password",
      hook_event: "customize-access-token",
      hook_ip: expect.any(String),
      role: "authenticated",
      aud: "authenticated",
    });
    // Custom claims change the token only, not the user object.
    expect(data.user?.app_metadata).not.toHaveProperty("user_role");

    const { data: refreshed } = await client.auth.refreshSession();
    expect(decodeJwt(refreshed.session?.access_token ?? "")).toMatchObject({
      user_role: "sales_director",
      hook_method: "token_refresh",
    });
  });

  it("turns the hook's error object into that HTTP error, with no session left behind", async () => {
    const before = await server.database.query("select count(*)::int as n from auth.sessions");
    await setMode("error");
    const response = await passwordSignIn(server, "manager@test.local", SEED_PASSWORD);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ code: "unknown", message: "Tenant suspended" });
    const after = await server.database.query("select count(*)::int as n from auth.sessions");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("refuses output without the required claims (500, GoTrue's schema message)", async () => {
    await setMode("missing");
    const response = await passwordSignIn(server, "manager@test.local", SEED_PASSWORD);
    expect(response.status).toBe(500);
    expect(response.body.code).toBe("unexpected_failure");
    expect(response.body.message).toBe(
      "output claims do not conform to the expected schema: \n- (root): aal is required\n- (root): session_id is required\n",
    );
  });

  it("answers a failing hook function with 500 and rolls the sign-in back", async () => {
    await setMode("raise");
    const response = await api(server, "POST", "/token?grant_type=password", {
      body: { email: "manager@test.local", password: SEED_PASSWORD },
      headers: { "x-supabase-api-version": "" },
    });
    expect(response.status).toBe(500);
    // The legacy body carries the request id for 5xx answers.
    expect(response.body).toMatchObject({
      code: 500,
      error_code: "unexpected_failure",
      msg: "Error running hook URI: pg-functions://postgres/public/custom_access_token_hook",
      error_id: expect.any(String),
    });
  });
});
