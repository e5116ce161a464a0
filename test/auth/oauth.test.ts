import { createHash } from "node:crypto";
import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { maskUrl } from "../../src/http/logger.js";
import { freePort } from "../harness/free-port.js";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, startAuthServer, uniqueEmail } from "./helpers.js";
import { type OpenIdProvider, startOpenIdProvider } from "./openid-provider.js";

const APP = "https://app.example.com/welcome";

describe("auth: OAuth / OpenID Connect sign-in against a real OpenID provider", () => {
  let server: TestServer;
  let idp: OpenIdProvider;
  let subjects = 0;

  beforeAll(async () => {
    const idpPort = await freePort();
    const secret = "a-client-secret-long-enough-for-hs256-0123456789";
    server = await startAuthServer({
      extraToml: `[auth.external.keycloak]\nenabled = true\nclient_id = "groundwork-app"\nsecret = "${secret}"\nurl = "http://127.0.0.1:${idpPort}"\n\n[auth.external.twitter]\nenabled = true\nclient_id = "x"\nsecret = "y"\n\n[auth.external.google]\nenabled = true\nclient_id = ""\nsecret = ""`,
    });
    idp = await startOpenIdProvider(idpPort, `${server.url}/auth/v1/callback`);
  });
  afterAll(async () => {
    await idp?.close();
    await server?.close();
  });

  function client(flowType: "implicit" | "pkce"): SupabaseClient {
    const memory = new Map<string, string>();
    return createClient(server.url, server.anonKey, {
      auth: {
        flowType,
        persistSession: true,
        autoRefreshToken: false,
        detectSessionInUrl: false,
        storage: {
          getItem: (key: string) => memory.get(key) ?? null,
          setItem: (key: string, value: string) => void memory.set(key, value),
          removeItem: (key: string) => void memory.delete(key),
        },
      },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
  }

  /** Plays the browser: app → /authorize → provider login and consent → /callback → app URL. */
  async function browse(startUrl: string, sub: string): Promise<URL> {
    const authorize = await fetch(startUrl, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
    expect(authorize.status).toBe(302);
    const callback = await idp.signIn(authorize.headers.get("location") as string, sub);
    expect(callback.startsWith(`${server.url}/auth/v1/callback?`)).toBe(true);
    const back = await fetch(callback, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
    expect(back.status).toBe(303);
    return new URL(back.headers.get("location") as string);
  }

  function account(email: string, emailVerified = true) {
    subjects += 1;
    const sub = `subject-${subjects}-${Date.now()}`;
    idp.addAccount(sub, { email, emailVerified, name: "Zoë 東京 🌸" });
    return sub;
  }

  it("implicit flow: signInWithOAuth → provider → callback → session in the URL fragment", async () => {
    const email = uniqueEmail("oidc");
    const sub = account(email);
    const app = client("implicit");
    const { data, error } = await app.auth.signInWithOAuth({
      provider: "keycloak",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    const landed = await browse(data.url as string, sub);
    expect(`${landed.origin}${landed.pathname}`).toBe(APP);
    const fragment = new URLSearchParams(landed.hash.slice(1));
    expect(fragment.get("token_type")).toBe("bearer");
    expect(fragment.get("provider_token")).toBeTruthy();
    const session = await app.auth.setSession({
      access_token: fragment.get("access_token") as string,
      refresh_token: fragment.get("refresh_token") as string,
    });
    expect(session.error).toBeNull();
    const user = session.data.user;
    expect(user?.email).toBe(email);
    expect(user?.email_confirmed_at).toBeTruthy();
    expect(user?.app_metadata).toMatchObject({ provider: "keycloak", providers: ["keycloak"] });
    expect(user?.user_metadata.name).toBe("Zoë 東京 🌸");
    expect(user?.identities?.map((identity) => [identity.provider, identity.id])).toEqual([
      ["keycloak", sub],
    ]);
    const claims = decodeJwt(fragment.get("access_token") as string);
    expect((claims.amr as { method: string }[])[0]?.method).toBe("oauth");

    // Signing in again with the same subject finds the same user.
    const again = await browse(data.url as string, sub);
    const second = decodeJwt(new URLSearchParams(again.hash.slice(1)).get("access_token") as string);
    expect(second.sub).toBe(user?.id);
  });

  it("PKCE flow: the app gets ?code= and exchangeCodeForSession turns it into a session once", async () => {
    const email = uniqueEmail("oidc.pkce");
    const sub = account(email);
    const app = client("pkce");
    const { data } = await app.auth.signInWithOAuth({
      provider: "keycloak",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    expect(new URL(data.url as string).searchParams.get("code_challenge_method")).toBe("s256");
    const landed = await browse(data.url as string, sub);
    const code = landed.searchParams.get("code") as string;
    expect(code).toBeTruthy();
    expect(landed.hash).toBe("");
    const exchanged = await app.auth.exchangeCodeForSession(code);
    expect(exchanged.error).toBeNull();
    expect(exchanged.data.user?.email).toBe(email);
    const reused = await api(server, "POST", "/token?grant_type=pkce", {
      body: { auth_code: code, code_verifier: "x".repeat(43) },
    });
    expect(reused.status).toBe(404);
  });

  it("links the identity to an existing user when the provider verified the email; refuses an unverified one", async () => {
    const email = uniqueEmail("oidc.link");
    const signUp = await client("implicit").auth.signUp({ email, password: "link-pass-1" });
    const userId = signUp.data.user?.id;
    const sub = account(email.toUpperCase());
    const { data } = await client("implicit").auth.signInWithOAuth({
      provider: "keycloak",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    const landed = await browse(data.url as string, sub);
    const token = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
    expect(decodeJwt(token).sub).toBe(userId);
    const user = await api(server, "GET", "/user", { token });
    expect(user.body.identities.map((identity: { provider: string }) => identity.provider).sort()).toEqual([
      "email",
      "keycloak",
    ]);
    expect(user.body.app_metadata.providers.sort()).toEqual(["email", "keycloak"]);

    const unverified = account(email, false);
    const refused = await browse(data.url as string, unverified);
    const error = new URLSearchParams(refused.hash.slice(1));
    expect(error.get("error_code")).toBe("email_exists");
  });

  it("linkIdentity attaches a provider identity to the signed-in user; unlinkIdentity removes it", async () => {
    const app = client("implicit");
    const email = uniqueEmail("oidc.linker");
    const signUp = await app.auth.signUp({ email, password: "link-pass-2" });
    const userId = signUp.data.user?.id;
    const sub = account(uniqueEmail("work.address"));
    const { data, error } = await app.auth.linkIdentity({
      provider: "keycloak",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    const callback = await idp.signIn(data.url as string, sub);
    const back = await fetch(callback, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
    const landed = new URL(back.headers.get("location") as string);
    expect(decodeJwt(new URLSearchParams(landed.hash.slice(1)).get("access_token") as string).sub).toBe(
      userId,
    );
    const identities = await app.auth.getUserIdentities();
    expect(identities.data?.identities.map((identity) => identity.provider).sort()).toEqual([
      "email",
      "keycloak",
    ]);

    // The same provider identity cannot be attached to a second user.
    const other = client("implicit");
    await other.auth.signUp({ email: uniqueEmail("oidc.other"), password: "link-pass-3" });
    const second = await other.auth.linkIdentity({
      provider: "keycloak",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    const refusedAt = await fetch(await idp.signIn(second.data.url as string, sub), {
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    const refused = new URLSearchParams(new URL(refusedAt.headers.get("location") as string).hash.slice(1));
    expect(refused.get("error_code")).toBe("identity_already_exists");

    const keycloak = identities.data?.identities.find((identity) => identity.provider === "keycloak");
    const unlinked = await app.auth.unlinkIdentity(keycloak as NonNullable<typeof keycloak>);
    expect(unlinked.error).toBeNull();
    const after = await app.auth.getUserIdentities();
    expect(after.data?.identities.map((identity) => identity.provider)).toEqual(["email"]);
    const last = after.data?.identities[0];
    const lastRefused = await app.auth.unlinkIdentity(last as NonNullable<typeof last>);
    expect(lastRefused.error?.code).toBe("single_identity_not_deletable");
  });

  it("signInWithIdToken: an ID token the provider issued to this client signs in, with GoTrue's nonce rule", async () => {
    const email = uniqueEmail("oidc.idtoken");
    const sub = account(email);
    const rawNonce = "raw-nonce-Zoë-東京";
    const hashed = createHash("sha256").update(rawNonce).digest("hex");
    const authorize = new URL(`${idp.issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: idp.clientId,
      redirect_uri: `${server.url}/auth/v1/callback`,
      response_type: "code",
      scope: "openid email profile",
      nonce: hashed,
      state: "mobile",
    }).toString();
    const code = new URL(await idp.signIn(authorize.toString(), sub)).searchParams.get("code") as string;
    const tokens = (await (
      await fetch(`${idp.issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: `${server.url}/auth/v1/callback`,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
        }),
        signal: AbortSignal.timeout(10_000),
      })
    ).json()) as { id_token: string };

    const app = client("implicit");
    const wrongNonce = await app.auth.signInWithIdToken({
      provider: "keycloak",
      token: tokens.id_token,
      nonce: "other",
    });
    expect(wrongNonce.error?.code).toBe("validation_failed");
    const noNonce = await app.auth.signInWithIdToken({ provider: "keycloak", token: tokens.id_token });
    expect(noNonce.error?.code).toBe("validation_failed");
    const forged = await app.auth.signInWithIdToken({
      provider: "keycloak",
      token: `${tokens.id_token.slice(0, -4)}AAAA`,
      nonce: rawNonce,
    });
    expect(forged.error?.code).toBe("validation_failed");

    const { data, error } = await app.auth.signInWithIdToken({
      provider: "keycloak",
      token: tokens.id_token,
      nonce: rawNonce,
    });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.identities?.map((identity) => identity.provider)).toEqual(["keycloak"]);
    expect(decodeJwt(data.session?.access_token as string).aal).toBe("aal1");
  });

  it("refuses unknown and unsupported providers, a forged state and a foreign redirect", async () => {
    const unknown = await api(server, "GET", "/authorize?provider=nowhere", { token: null });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe("validation_failed");
    // Twitter's OAuth 1.0a is not served: enabled, it still answers as unsupported.
    const twitter = await api(server, "GET", "/authorize?provider=twitter", { token: null });
    expect(twitter.status).toBe(400);
    const settings = await api(server, "GET", "/settings", { token: null });
    expect(settings.body.external).toMatchObject({
      keycloak: true,
      twitter: false,
      github: false,
      google: true,
    });
    // GoTrue's ValidateOAuth: a provider without its client id cannot start a sign-in.
    const incomplete = await api(server, "GET", "/authorize?provider=google", { token: null });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.message).toBe("Unsupported provider: missing OAuth client ID");
    const inherited = await api(server, "GET", "/authorize?provider=constructor", { token: null });
    expect(inherited.status).toBe(400);
    // The provider's code and the signed state never reach a log line.
    expect(maskUrl("/auth/v1/callback?code=c0de&state=st4te")).toBe("/auth/v1/callback?code=****&state=****");
    const forged = await api(server, "GET", "/callback?code=abc&state=eyJhbGciOiJIUzI1NiJ9.e30.x", {
      token: null,
    });
    expect(forged.status).toBe(400);
    const missing = await api(server, "GET", "/callback", { token: null });
    expect(missing.status).toBe(400);
    // A redirect_to outside site_url and additional_redirect_urls ends on site_url instead.
    const sub = account(uniqueEmail("oidc.redirect"));
    const landed = await browse(
      `${server.url}/auth/v1/authorize?provider=keycloak&redirect_to=${encodeURIComponent("https://evil.example/steal")}`,
      sub,
    );
    expect(landed.origin).toBe("http://127.0.0.1:3000");
  });
});
