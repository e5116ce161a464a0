import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/free-port.js";
import type { TestServer } from "../harness/server.js";
import { api, startAuthServer, uniqueEmail } from "./helpers.js";
import { type OpenIdProvider, startOpenIdProvider } from "./openid-provider.js";

/**
 * The before user created hook of Supabase's guide: refuses sign-ups from a blocked domain with a
 * 403 and a message of its own, and records every user it lets through.
 */
const HOOK_SQL = `
  create table public.signup_log (user_id uuid, event jsonb not null);
  create table public.blocked_domains (domain text primary key);
  insert into public.blocked_domains values ('spam.example');

  create function public.check_new_user(event jsonb) returns jsonb
  language plpgsql as $$
  declare
    email text := event -> 'user' ->> 'email';
  begin
    if split_part(email, '@', 2) in (select domain from public.blocked_domains) then
      return jsonb_build_object('error', jsonb_build_object('http_code', 403,
        'message', 'Inscriptions refusées pour ce domaine — 登録できません 🚫'));
    end if;
    insert into public.signup_log values ((event -> 'user' ->> 'id')::uuid, event);
    return '{}'::jsonb;
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.check_new_user to supabase_auth_admin;
  revoke execute on function public.check_new_user from authenticated, anon, public;
  grant select on public.blocked_domains to supabase_auth_admin;
  grant insert on public.signup_log to supabase_auth_admin;
`;

const PASSWORD = "hook-pass-123";

describe("auth: before user created hook", () => {
  let server: TestServer;
  let idp: OpenIdProvider;
  beforeAll(async () => {
    const idpPort = await freePort();
    server = await startAuthServer({
      auth: { enable_anonymous_sign_ins: true },
      extraToml: [
        "[auth.hook.before_user_created]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/check_new_user"',
        "[auth.external.keycloak]",
        "enabled = true",
        'client_id = "groundwork-app"',
        'secret = "a-client-secret-long-enough-for-hs256-0123456789"',
        `url = "http://127.0.0.1:${idpPort}"`,
      ].join("\n"),
    });
    await server.database.query(HOOK_SQL);
    idp = await startOpenIdProvider(idpPort, `${server.url}/auth/v1/callback`);
  });
  afterAll(async () => {
    await idp?.close();
    await server?.close();
  });

  /** Plays the browser through signInWithOAuth (implicit) as `email`; returns where the app lands. */
  async function oauthSignIn(email: string): Promise<URL> {
    const sub = `sub-${email}`;
    idp.addAccount(sub, { email, emailVerified: true, name: "Åsa Ōkubo 🌊" });
    const { data, error } = await server.client().auth.signInWithOAuth({
      provider: "keycloak",
      options: { redirectTo: "https://app.example.com/welcome", skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    const authorize = await fetch(data.url as string, { redirect: "manual" });
    const callback = await idp.signIn(authorize.headers.get("location") as string, sub);
    const back = await fetch(callback, { redirect: "manual" });
    expect(back.status).toBe(303);
    return new URL(back.headers.get("location") as string);
  }

  async function userExists(email: string): Promise<boolean> {
    const { rows } = await server.database.query("select 1 from auth.users where email = $1", [email]);
    return rows.length > 0;
  }

  async function logged(
    userId: string,
  ): Promise<Record<string, unknown> & { user: Record<string, unknown> }> {
    const { rows } = await server.database.query<{
      event: Record<string, unknown> & { user: Record<string, unknown> };
    }>("select event from public.signup_log where user_id = $1", [userId]);
    expect(rows).toHaveLength(1);
    return rows[0]?.event as Record<string, unknown> & { user: Record<string, unknown> };
  }

  it("lets a sign-up through, showing the user about to be created with the id it then gets", async () => {
    const email = uniqueEmail("welcome");
    const { data, error } = await server.client().auth.signUp({
      email,
      password: PASSWORD,
      options: { data: { display_name: "Núñez 李 🌱" } },
    });
    expect(error).toBeNull();
    const event = await logged(data.user?.id ?? "");
    expect(event.metadata).toMatchObject({ name: "before-user-created", ip_address: expect.any(String) });
    expect(event.user).toMatchObject({
      id: data.user?.id,
      email,
      aud: "authenticated",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { display_name: "Núñez 李 🌱" },
      identities: [],
      is_anonymous: false,
    });
  });

  it("refuses a sign-up from a blocked domain with the hook's status and message; no user is created", async () => {
    const email = `someone.${Date.now()}@spam.example`;
    const { data, error } = await server.client().auth.signUp({ email, password: PASSWORD });
    expect(data.user).toBeNull();
    expect(error?.status).toBe(403);
    expect(error?.message).toBe("Inscriptions refusées pour ce domaine — 登録できません 🚫");
    expect(await userExists(email)).toBe(false);
  });

  it("refuses passwordless sign-ups and invites from the domain too, but not sign-ins of existing users", async () => {
    const email = `otp.${Date.now()}@spam.example`;
    const otp = await server.client().auth.signInWithOtp({ email });
    expect(otp.error?.status).toBe(403);
    const admin = server.client(server.serviceRoleKey);
    const invite = await admin.auth.admin.inviteUserByEmail(email);
    expect(invite.error?.status).toBe(403);
    const link = await admin.auth.admin.generateLink({ type: "signup", email, password: PASSWORD });
    expect(link.error?.status).toBe(403);
    expect(await userExists(email)).toBe(false);

    // As in GoTrue, admin.createUser does not ask the hook; once the user exists, signing in is no sign-up.
    const created = await admin.auth.admin.createUser({ email, password: PASSWORD, email_confirm: true });
    expect(created.error).toBeNull();
    const signedIn = await server.client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(signedIn.error).toBeNull();
    const magicLink = await server.client().auth.signInWithOtp({ email });
    expect(magicLink.error).toBeNull();
  });

  it("is asked about anonymous users", async () => {
    const { data, error } = await server
      .client()
      .auth.signInAnonymously({ options: { data: { lang: "日本語" } } });
    expect(error).toBeNull();
    const event = await logged(data.user?.id ?? "");
    expect(event.user).toMatchObject({
      id: data.user?.id,
      email: "",
      is_anonymous: true,
      app_metadata: { provider: "anonymous" },
      user_metadata: { lang: "日本語" },
    });
  });

  it("answers a hook that breaks (a missing function) with 500, and creates no user", async () => {
    await server.database.query("alter function public.check_new_user(jsonb) rename to check_new_user_gone");
    try {
      const email = uniqueEmail("broken");
      const response = await api(server, "POST", "/signup", { body: { email, password: PASSWORD } });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        code: "unexpected_failure",
        message: "Error running hook URI: pg-functions://postgres/public/check_new_user",
      });
      expect(await userExists(email)).toBe(false);
    } finally {
      await server.database.query(
        "alter function public.check_new_user_gone(jsonb) rename to check_new_user",
      );
    }
  });

  it("is asked about users an OAuth provider signs up, and its refusal goes back to the app", async () => {
    const email = uniqueEmail("oauth");
    const landed = await oauthSignIn(email);
    const access = new URLSearchParams(landed.hash.slice(1)).get("access_token") ?? "";
    expect(access).not.toBe("");
    const { rows } = await server.database.query<{ id: string }>(
      "select id from auth.users where email = $1",
      [email],
    );
    const event = await logged(rows[0]?.id ?? "");
    expect(event.user).toMatchObject({
      email,
      app_metadata: { provider: "keycloak" },
      user_metadata: { name: "Åsa Ōkubo 🌊" },
    });

    const blocked = `oauth.${Date.now()}@spam.example`;
    const refused = await oauthSignIn(blocked);
    expect(`${refused.origin}${refused.pathname}`).toBe("https://app.example.com/welcome");
    expect(refused.searchParams.get("error")).toBe("access_denied");
    expect(refused.searchParams.get("error_description")).toBe(
      "Inscriptions refusées pour ce domaine — 登録できません 🚫",
    );
    expect(new URLSearchParams(refused.hash.slice(1)).get("error")).toBe("access_denied");
    expect(await userExists(blocked)).toBe(false);
  });
});
