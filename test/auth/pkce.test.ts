import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createBrowserClient, createServerClient } from "@supabase/ssr";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { WELL_KNOWN_PUBLISHABLE_KEY } from "../../src/config/jwt-keys.js";
import type { TestServer } from "../harness/server.js";
import { api, latestMail, startAuthServer, uniqueEmail } from "./helpers.js";

const CALLBACK = "http://127.0.0.1:3000/auth/callback";

/** A supabase-js client in the PKCE flow, as `@supabase/ssr` and most server-rendered apps use. */
function pkceClient(server: TestServer): SupabaseClient {
  return createClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY, {
    auth: { flowType: "pkce", persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws as unknown as WebSocketLikeConstructor },
  });
}

/** Follows a link from a message as a browser would, and returns where it redirects to. */
async function follow(link: string): Promise<URL> {
  const response = await fetch(link, { redirect: "manual" });
  expect(response.status).toBe(303);
  return new URL(response.headers.get("location") as string);
}

describe("PKCE (flowType: 'pkce')", () => {
  let server: TestServer & { dir: string };

  beforeAll(async () => {
    server = await startAuthServer({
      auth: { additional_redirect_urls: ["http://127.0.0.1:3000/**"] },
      email: { enable_confirmations: true },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("sign-up: the confirmation link leads to ?code=, which exchangeCodeForSession turns into a session", async () => {
    const client = pkceClient(server);
    const email = uniqueEmail("pkce");
    const signUp = await client.auth.signUp({
      email,
      password: "pkce-pass-1",
      options: { emailRedirectTo: CALLBACK, data: { name: "Zoë 東京 🚀" } },
    });
    expect(signUp.error).toBeNull();
    expect(signUp.data.session).toBeNull();
    const mail = await latestMail(server, email);
    expect(mail?.action_link).toMatch(/[?&]token=pkce_[0-9a-f]{56}&type=signup&/);
    const landed = await follow(mail?.action_link as string);
    expect(`${landed.origin}${landed.pathname}`).toBe(CALLBACK);
    const code = landed.searchParams.get("code") as string;
    expect(code).toMatch(/^[0-9a-f-]{36}$/);
    expect(landed.hash).toBe("");

    const { data, error } = await client.auth.exchangeCodeForSession(code);
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(data.user?.user_metadata.name).toBe("Zoë 東京 🚀");
    expect(data.session?.access_token).toMatch(/^eyJ/);
  });

  it("refuses a wrong verifier, an expired code, and missing parameters", async () => {
    const email = uniqueEmail("verifier");
    const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // S256 of RFC 7636's example verifier
    const signUp = await api(server, "POST", `/signup?redirect_to=${encodeURIComponent(CALLBACK)}`, {
      body: { email, password: "pkce-pass-1", code_challenge: challenge, code_challenge_method: "S256" },
    });
    expect(signUp.status).toBe(200);
    const landed = await follow((await latestMail(server, email))?.action_link as string);
    const code = landed.searchParams.get("code") as string;

    const wrong = await api(server, "POST", "/token?grant_type=pkce", {
      body: { auth_code: code, code_verifier: "not-the-verifier-not-the-verifier-not-the-ver" },
    });
    expect([wrong.status, wrong.body.code]).toEqual([400, "bad_code_verifier"]);

    await server.database.query(
      "update auth.flow_state set auth_code_issued_at = now() - interval '6 minutes' where auth_code = $1",
      [code],
    );
    const expired = await api(server, "POST", "/token?grant_type=pkce", {
      body: { auth_code: code, code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" },
    });
    expect([expired.status, expired.body.code]).toEqual([422, "flow_state_expired"]);

    const missing = await api(server, "POST", "/token?grant_type=pkce", { body: { auth_code: code } });
    expect([missing.status, missing.body.code]).toEqual([400, "validation_failed"]);
  });

  it("the right verifier for RFC 7636's example challenge is accepted, once", async () => {
    const email = uniqueEmail("rfc");
    await api(server, "POST", `/signup?redirect_to=${encodeURIComponent(CALLBACK)}`, {
      body: {
        email,
        password: "pkce-pass-1",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "s256",
      },
    });
    const landed = await follow((await latestMail(server, email))?.action_link as string);
    const exchanged = await api(server, "POST", "/token?grant_type=pkce", {
      body: {
        auth_code: landed.searchParams.get("code"),
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
      },
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.user.email).toBe(email);
    // A code is good once.
    const again = await api(server, "POST", "/token?grant_type=pkce", {
      body: {
        auth_code: landed.searchParams.get("code"),
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
      },
    });
    expect([again.status, again.body.code]).toEqual([404, "flow_state_not_found"]);
  });

  it.each([
    [{ code_challenge: "short", code_challenge_method: "s256" }, "between 43 and 128"],
    [{ code_challenge: "a".repeat(43) }, "requires code_challenge_method and code_challenge"],
    [{ code_challenge: `${"a".repeat(42)}!`, code_challenge_method: "s256" }, "can only contain"],
    [{ code_challenge: "a".repeat(43), code_challenge_method: "md5" }, "unsupported code_challenge method"],
  ])("refuses a bad challenge %j", async (pkce, message) => {
    const response = await api(server, "POST", "/signup", {
      body: { email: uniqueEmail("bad"), password: "pkce-pass-1", ...pkce },
    });
    expect([response.status, response.body.code]).toEqual([400, "validation_failed"]);
    expect(response.body.message).toContain(message);
  });

  it("recovery: the link's code signs the user in, who then sets a new password", async () => {
    const email = uniqueEmail("recover");
    const admin = await api(server, "POST", "/admin/users", {
      token: server.serviceRoleKey,
      body: { email, password: "old-pass-1", email_confirm: true },
    });
    expect(admin.status).toBe(200);
    const client = pkceClient(server);
    expect((await client.auth.resetPasswordForEmail(email, { redirectTo: CALLBACK })).error).toBeNull();
    const landed = await follow((await latestMail(server, email))?.action_link as string);
    const { data, error } = await client.auth.exchangeCodeForSession(
      landed.searchParams.get("code") as string,
    );
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(email);
    expect((await client.auth.updateUser({ password: "new-pass-2" })).error).toBeNull();
    const signIn = await pkceClient(server).auth.signInWithPassword({ email, password: "new-pass-2" });
    expect(signIn.error).toBeNull();
  });

  it("magic link: signInWithOtp's link leads to a code; the token_hash of the message verifies server-side", async () => {
    const email = uniqueEmail("magic-pkce");
    await api(server, "POST", "/admin/users", {
      token: server.serviceRoleKey,
      body: { email, password: "pw-123456", email_confirm: true },
    });
    const client = pkceClient(server);
    expect(
      (await client.auth.signInWithOtp({ email, options: { emailRedirectTo: CALLBACK } })).error,
    ).toBeNull();
    const mail = await latestMail(server, email);
    expect(mail?.kind).toBe("magiclink");
    const landed = await follow(mail?.action_link as string);
    const { data, error } = await client.auth.exchangeCodeForSession(
      landed.searchParams.get("code") as string,
    );
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(email);

    // @supabase/ssr's server-side pattern: the template links to the app with {{ .TokenHash }},
    // and the app's route calls verifyOtp({ token_hash, type }).
    await server.database.query(
      "update auth.users set recovery_sent_at = now() - interval '1 hour' where email = $1",
      [email],
    );
    await pkceClient(server).auth.signInWithOtp({ email, options: { emailRedirectTo: CALLBACK } });
    const second = await latestMail(server, email);
    const tokenHash = new URL(second?.action_link as string).searchParams.get("token") as string;
    expect(tokenHash.startsWith("pkce_")).toBe(true);
    const verified = await pkceClient(server).auth.verifyOtp({ token_hash: tokenHash, type: "magiclink" });
    expect(verified.error).toBeNull();
    expect(verified.data.session?.user.email).toBe(email);
  });

  it("email change: after both links, the second leads to a code for the new address's session", async () => {
    const email = uniqueEmail("change-pkce");
    await api(server, "POST", "/admin/users", {
      token: server.serviceRoleKey,
      body: { email, password: "pw-123456", email_confirm: true },
    });
    const client = pkceClient(server);
    await client.auth.signInWithPassword({ email, password: "pw-123456" });
    const newEmail = uniqueEmail("changed-pkce");
    expect(
      (await client.auth.updateUser({ email: newEmail }, { emailRedirectTo: CALLBACK })).error,
    ).toBeNull();
    const first = await follow((await latestMail(server, newEmail))?.action_link as string);
    expect(first.searchParams.get("message")).toContain("Confirmation link accepted");
    const second = await follow((await latestMail(server, email))?.action_link as string);
    const code = second.searchParams.get("code") as string;
    const { data, error } = await client.auth.exchangeCodeForSession(code);
    expect(error).toBeNull();
    expect(data.user?.email).toBe(newEmail);
  });

  it("an error on a PKCE link comes back in the query and the fragment", async () => {
    const email = uniqueEmail("used");
    await api(server, "POST", `/signup?redirect_to=${encodeURIComponent(CALLBACK)}`, {
      body: {
        email,
        password: "pkce-pass-1",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "s256",
      },
    });
    const link = (await latestMail(server, email))?.action_link as string;
    await follow(link);
    const second = await follow(link);
    expect(second.searchParams.get("error_code")).toBe("otp_expired");
    expect(new URLSearchParams(second.hash.slice(1)).get("error_code")).toBe("otp_expired");
  });

  it("works with @supabase/ssr's server and browser clients: verifier in a cookie, code exchanged on the callback", async () => {
    const jar = new Map<string, string>();
    const cookies = {
      getAll: () => [...jar].map(([name, value]) => ({ name, value })),
      setAll: (set: { name: string; value: string }[]) => {
        for (const { name, value } of set) {
          if (value === "") jar.delete(name);
          else jar.set(name, value);
        }
      },
    };
    const ssr = () =>
      createServerClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY, {
        cookies,
        realtime: { transport: ws as unknown as WebSocketLikeConstructor },
      });
    const email = uniqueEmail("ssr");
    const signUp = await ssr().auth.signUp({
      email,
      password: "ssr-pass-1",
      options: { emailRedirectTo: CALLBACK },
    });
    expect(signUp.error).toBeNull();
    expect([...jar.keys()].some((name) => name.endsWith("-code-verifier"))).toBe(true);

    const landed = await follow((await latestMail(server, email))?.action_link as string);
    // The callback route of the app: a new server client on the same cookies.
    const { data, error } = await ssr().auth.exchangeCodeForSession(
      landed.searchParams.get("code") as string,
    );
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    const { data: user } = await ssr().auth.getUser();
    expect(user.user?.email).toBe(email);

    // The browser client starts the flow (verifier in the shared cookies), the server route finishes it.
    jar.clear();
    const browser = createBrowserClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY, {
      cookies,
      isSingleton: false,
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
    const other = uniqueEmail("browser");
    expect(
      (
        await browser.auth.signUp({
          email: other,
          password: "ssr-pass-1",
          options: { emailRedirectTo: CALLBACK },
        })
      ).error,
    ).toBeNull();
    const callback = await follow((await latestMail(server, other))?.action_link as string);
    const finished = await ssr().auth.exchangeCodeForSession(callback.searchParams.get("code") as string);
    expect(finished.error).toBeNull();
    expect(finished.data.user?.email).toBe(other);
  });
});
