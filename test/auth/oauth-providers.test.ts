import { createHash } from "node:crypto";
import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { freePort } from "../harness/free-port.js";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, startAuthServer, uniqueEmail } from "./helpers.js";
import { type Flavor, newClient, type OAuth2Server, startOAuth2Server } from "./oauth2-server.js";
import { type OpenIdProvider, startOpenIdProvider } from "./openid-provider.js";

const APP = "https://app.example.com/welcome";
const SITE = "http://127.0.0.1:3000";
const FLAVORS: readonly Flavor[] = ["github", "gitlab", "discord", "bitbucket"];

describe("auth: GitHub, GitLab, Discord, Bitbucket and Apple sign-in against real authorization servers", () => {
  let server: TestServer;
  let apple: OpenIdProvider;
  const providers = {} as Record<Flavor, OAuth2Server>;
  let accounts = 0;

  beforeAll(async () => {
    const sections: string[] = [];
    for (const flavor of FLAVORS) {
      const registered = newClient(flavor);
      providers[flavor] = await startOAuth2Server(flavor, registered);
      sections.push(
        `[auth.external.${flavor}]\nenabled = true\nclient_id = "${registered.clientId}"\n` +
          `secret = "${registered.clientSecret}"\nurl = "${providers[flavor].url}/"`,
      );
    }
    const applePort = await freePort();
    sections.push(
      `[auth.external.apple]\nenabled = true\nclient_id = "groundwork-app"\n` +
        `secret = "a-client-secret-long-enough-for-hs256-0123456789"\nurl = "http://127.0.0.1:${applePort}"`,
    );
    server = await startAuthServer({ extraToml: sections.join("\n\n") });
    const callback = `${server.url}/auth/v1/callback`;
    for (const flavor of FLAVORS) providers[flavor].registerCallback(callback);
    apple = await startOpenIdProvider(applePort, callback);
  });
  afterAll(async () => {
    for (const provider of Object.values(providers)) await provider.close();
    await apple?.close();
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

  /** A provider account; its id is unique across the file, its name not ASCII. */
  function account(
    flavor: Flavor,
    emails: { email: string; verified: boolean; primary: boolean }[],
  ): { login: string; id: number } {
    accounts += 1;
    const id = 7000 + accounts;
    const login = `octo-${accounts}-${Date.now()}`;
    providers[flavor].addAccount({ id, login, name: "Zoë 東京 🌸", emails });
    return { login, id };
  }

  async function follow(url: string): Promise<Response> {
    return fetch(url, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
  }

  /** Plays the browser: app → /authorize → provider → /callback → the app's URL. */
  async function browse(
    flavor: Flavor,
    startUrl: string,
    login: string,
    options: { decline?: boolean } = {},
  ): Promise<URL> {
    const authorize = await follow(startUrl);
    expect(authorize.status).toBe(302);
    const callback = await providers[flavor].signIn(
      authorize.headers.get("location") as string,
      login,
      options,
    );
    expect(callback.startsWith(`${server.url}/auth/v1/callback?`)).toBe(true);
    const back = await follow(callback);
    expect(back.status).toBe(303);
    return new URL(back.headers.get("location") as string);
  }

  async function signInUrl(flavor: Flavor | "apple", flowType: "implicit" | "pkce", redirectTo = APP) {
    const { data, error } = await client(flowType).auth.signInWithOAuth({
      provider: flavor,
      options: { redirectTo, skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    return data.url as string;
  }

  it("GitHub Enterprise, implicit flow: session in the fragment, the user from /user and the verified primary address from /user/emails", async () => {
    const primary = uniqueEmail("gh.primary");
    const { login, id } = account("github", [
      { email: uniqueEmail("gh.old"), verified: false, primary: false },
      { email: primary, verified: true, primary: true },
    ]);
    const app = client("implicit");
    const { data } = await app.auth.signInWithOAuth({
      provider: "github",
      options: {
        redirectTo: APP,
        skipBrowserRedirect: true,
        scopes: "repo",
        queryParams: { allow_signup: "false" },
      },
    });
    const authorize = await follow(data.url as string);
    const at = new URL(authorize.headers.get("location") as string);
    expect(`${at.origin}${at.pathname}`).toBe(`${providers.github.url}/login/oauth/authorize`);
    expect(at.searchParams.get("scope")).toBe("user:email repo");
    expect(at.searchParams.get("allow_signup")).toBe("false");
    expect(at.searchParams.get("redirect_uri")).toBe(`${server.url}/auth/v1/callback`);

    const landed = await browse("github", data.url as string, login);
    expect(`${landed.origin}${landed.pathname}`).toBe(APP);
    const fragment = new URLSearchParams(landed.hash.slice(1));
    expect(fragment.get("token_type")).toBe("bearer");
    // The provider token is the one GitHub issued: its API accepts it.
    expect(await providers.github.userStatus(fragment.get("provider_token") as string)).toBe(200);
    expect(await providers.github.userStatus("made-up-token")).toBe(401);
    const session = await app.auth.setSession({
      access_token: fragment.get("access_token") as string,
      refresh_token: fragment.get("refresh_token") as string,
    });
    expect(session.error).toBeNull();
    const user = session.data.user;
    expect(user?.email).toBe(primary);
    expect(user?.email_confirmed_at).toBeTruthy();
    expect(user?.app_metadata).toMatchObject({ provider: "github", providers: ["github"] });
    expect(user?.user_metadata).toMatchObject({ full_name: "Zoë 東京 🌸", user_name: login });
    const identity = user?.identities?.[0];
    expect(identity?.provider).toBe("github");
    expect(identity?.id).toBe(String(id));
    expect(identity?.identity_data).toMatchObject({
      iss: `${providers.github.url}/api/v3`,
      sub: String(id),
      provider_id: String(id),
      preferred_username: login,
      email: primary,
      email_verified: true,
    });
    expect((decodeJwt(fragment.get("access_token") as string).amr as { method: string }[])[0]?.method).toBe(
      "oauth",
    );

    // A new name at GitHub reaches the user's metadata on the next sign-in; still the same user.
    providers.github.addAccount({
      id,
      login,
      name: "Zoë Ōsaka 🌊",
      emails: [{ email: primary, verified: true, primary: true }],
    });
    const again = await browse("github", data.url as string, login);
    const token = new URLSearchParams(again.hash.slice(1)).get("access_token") as string;
    expect(decodeJwt(token).sub).toBe(user?.id);
    expect((await api(server, "GET", "/user", { token })).body.user_metadata.full_name).toBe("Zoë Ōsaka 🌊");
  });

  it("GitHub, PKCE flow: ?code= for exchangeCodeForSession with the provider token; the flow is used once", async () => {
    const email = uniqueEmail("gh.pkce");
    const { login } = account("github", [{ email, verified: true, primary: true }]);
    const app = client("pkce");
    const { data } = await app.auth.signInWithOAuth({
      provider: "github",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    const authorize = await follow(data.url as string);
    const providerUrl = authorize.headers.get("location") as string;
    const callback = await providers.github.signIn(providerUrl, login);
    const back = await follow(callback);
    const landed = new URL(back.headers.get("location") as string);
    const code = landed.searchParams.get("code") as string;
    expect(code).toMatch(/^[0-9a-f-]{36}$/);
    expect(landed.hash).toBe("");
    const exchanged = await app.auth.exchangeCodeForSession(code);
    expect(exchanged.error).toBeNull();
    expect(exchanged.data.user?.email).toBe(email);
    expect(await providers.github.userStatus(exchanged.data.session?.provider_token as string)).toBe(200);
    const reused = await api(server, "POST", "/token?grant_type=pkce", {
      body: { auth_code: code, code_verifier: "x".repeat(43) },
    });
    expect(reused.status).toBe(404);

    // The same callback again: GitHub refuses its used code.
    const replay = new URL((await follow(callback)).headers.get("location") as string);
    expect(replay.searchParams.get("error_code")).toBe("bad_oauth_callback");
    // A new code for the same state: the flow it names is finished.
    const again = await follow(await providers.github.signIn(providerUrl, login));
    const refused = new URL(again.headers.get("location") as string);
    expect(refused.searchParams.get("error_code")).toBe("flow_state_not_found");
    expect(refused.searchParams.get("code")).toBeNull();
  });

  it("links to an existing user through a verified address only", async () => {
    // Verified primary address of an existing user: the identity joins that user.
    const owner = uniqueEmail("gh.owner");
    const signUp = await client("implicit").auth.signUp({ email: owner, password: "link-pass-1" });
    const linked = account("github", [{ email: owner.toUpperCase(), verified: true, primary: true }]);
    const landed = await browse("github", await signInUrl("github", "implicit"), linked.login);
    const token = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
    expect(decodeJwt(token).sub).toBe(signUp.data.user?.id);
    const user = await api(server, "GET", "/user", { token });
    expect(user.body.identities.map((identity: { provider: string }) => identity.provider).sort()).toEqual([
      "email",
      "github",
    ]);
    expect(user.body.app_metadata.providers.sort()).toEqual(["email", "github"]);

    // An unverified secondary address of an existing user links nothing: a new user with the primary.
    const other = uniqueEmail("gh.other");
    const otherUser = await client("implicit").auth.signUp({ email: other, password: "link-pass-2" });
    const fresh = uniqueEmail("gh.fresh");
    const separate = account("github", [
      { email: fresh, verified: true, primary: true },
      { email: other, verified: false, primary: false },
    ]);
    const landedFresh = await browse("github", await signInUrl("github", "implicit"), separate.login);
    const freshToken = new URLSearchParams(landedFresh.hash.slice(1)).get("access_token") as string;
    expect(decodeJwt(freshToken).sub).not.toBe(otherUser.data.user?.id);
    expect(decodeJwt(freshToken).email).toBe(fresh);

    // An unverified primary address that another user holds is refused.
    const unverified = account("github", [{ email: other, verified: false, primary: true }]);
    const refused = await browse("github", await signInUrl("github", "implicit"), unverified.login);
    expect(new URLSearchParams(refused.hash.slice(1)).get("error_code")).toBe("email_exists");
    expect(new URLSearchParams(refused.hash.slice(1)).get("access_token")).toBeNull();
  });

  it("an unconfirmed account with the verified address loses its password and other identities to the provider's", async () => {
    const victim = uniqueEmail("gh.victim");
    // Made by someone who never confirmed the address, with a password of their own.
    const admin = server.client(server.serviceRoleKey).auth.admin;
    const created = await admin.createUser({
      email: victim,
      password: "waiting-pass-1",
      email_confirm: false,
    });
    expect(created.data.user?.email_confirmed_at).toBeFalsy();
    const { login } = account("github", [{ email: victim, verified: true, primary: true }]);
    const landed = await browse("github", await signInUrl("github", "implicit"), login);
    const token = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
    expect(decodeJwt(token).sub).toBe(created.data.user?.id);
    const user = await api(server, "GET", "/user", { token });
    expect(user.body.email_confirmed_at).toBeTruthy();
    expect(user.body.identities.map((identity: { provider: string }) => identity.provider)).toEqual([
      "github",
    ]);
    expect(user.body.app_metadata.providers).toEqual(["github"]);
    expect(user.body.user_metadata.full_name).toBe("Zoë 東京 🌸");
    const withOldPassword = await client("implicit").auth.signInWithPassword({
      email: victim,
      password: "waiting-pass-1",
    });
    expect(withOldPassword.error?.code).toBe("invalid_credentials");
  });

  it("the provider's refusal goes back to the app as error and error_description", async () => {
    const { login } = account("github", [
      { email: uniqueEmail("gh.decline"), verified: true, primary: true },
    ]);
    const implicit = await browse("github", await signInUrl("github", "implicit"), login, { decline: true });
    expect(`${implicit.origin}${implicit.pathname}`).toBe(APP);
    for (const params of [implicit.searchParams, new URLSearchParams(implicit.hash.slice(1))]) {
      expect(params.get("error")).toBe("access_denied");
      expect(params.get("error_description")).toBe("The user has denied your application access.");
    }
    const pkce = await browse("github", await signInUrl("github", "pkce"), login, { decline: true });
    expect(pkce.searchParams.get("error")).toBe("access_denied");
    expect(pkce.searchParams.get("code")).toBeNull();
  });

  it("a tampered, foreign or expired state is refused with 400", async () => {
    const { login } = account("github", [{ email: uniqueEmail("gh.state"), verified: true, primary: true }]);
    const authorize = await follow(await signInUrl("github", "implicit"));
    const callback = new URL(
      await providers.github.signIn(authorize.headers.get("location") as string, login),
    );
    const state = callback.searchParams.get("state") as string;
    const [header, payload, signature] = state.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;

    const forgedPayload = Buffer.from(
      JSON.stringify({ ...claims, redirect_to: "https://evil.example/" }),
    ).toString("base64url");
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(`oauth-state:${server.config.jwt.secret}`));
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("oauth-state:some-other-secret-of-enough-length-0123456789"));
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
    for (const bad of [
      `${header}.${forgedPayload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}AA`,
      expired,
      otherKey,
      unsigned,
    ]) {
      callback.searchParams.set("state", bad);
      const refused = await api(server, "GET", `/callback${callback.search}`, { token: null });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe("validation_failed");
    }
    // The untouched state still works (the code was not spent by the refusals).
    callback.searchParams.set("state", state);
    const back = await follow(callback.toString());
    expect(
      new URLSearchParams(new URL(back.headers.get("location") as string).hash.slice(1)).get("access_token"),
    ).toBeTruthy();
  });

  it("redirect_to outside site_url and additional_redirect_urls ends on site_url: other hosts, //host, javascript:, @ and \\", async () => {
    const { login } = account("github", [
      { email: uniqueEmail("gh.redirect"), verified: true, primary: true },
    ]);
    for (const target of [
      "https://evil.example/steal",
      "//evil.example/steal",
      "javascript:alert(document.cookie)",
      "https://app.example.com@evil.example/",
      `${SITE}@evil.example/`,
      "https://evil.example\\@app.example.com/",
      "https://app.example.com\\.evil.example/",
      "https:/\\evil.example/",
      "https://app.example.com.evil.example/",
    ]) {
      const start = `${server.url}/auth/v1/authorize?provider=github&redirect_to=${encodeURIComponent(target)}`;
      const landed = await browse("github", start, login);
      expect(landed.origin, target).toBe(SITE);
    }
  });

  it("GitLab (self-hosted), Discord and Bitbucket: each one's user API becomes the identity", async () => {
    const expected: Record<
      Exclude<Flavor, "github">,
      { scope: string; data: (id: number, login: string) => object }
    > = {
      gitlab: {
        scope: "read_user",
        data: (id) => ({ iss: providers.gitlab.url, provider_id: String(id), name: "Zoë 東京 🌸" }),
      },
      discord: {
        scope: "email identify",
        data: (id, login) => ({
          iss: `${providers.discord.url}/api`,
          provider_id: String(id),
          name: `${login}#0`,
          full_name: login,
          custom_claims: { global_name: "Zoë 東京 🌸" },
          avatar_url: "https://cdn.discordapp.com/embed/avatars/0.png",
        }),
      },
      bitbucket: {
        scope: "account email",
        data: () => ({ iss: `${providers.bitbucket.url}/2.0`, full_name: "Zoë 東京 🌸" }),
      },
    };
    for (const flavor of ["gitlab", "discord", "bitbucket"] as const) {
      const email = uniqueEmail(`${flavor}.user`);
      const { login, id } = account(flavor, [{ email, verified: true, primary: true }]);
      const landed = await browse(flavor, await signInUrl(flavor, "implicit"), login);
      expect(providers[flavor].lastScope).toBe(expected[flavor].scope);
      const token = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
      expect(token, flavor).toBeTruthy();
      const user = await api(server, "GET", "/user", { token });
      expect(user.body.email).toBe(email);
      expect(user.body.email_confirmed_at).toBeTruthy();
      const identity = user.body.identities[0];
      expect(identity.provider).toBe(flavor);
      expect(identity.identity_data).toMatchObject({
        ...expected[flavor].data(id, login),
        email_verified: true,
      });
    }
    // Bitbucket's id is the account's uuid.
    const bitbucket = account("bitbucket", [
      { email: uniqueEmail("bb.uuid"), verified: true, primary: true },
    ]);
    const landed = await browse("bitbucket", await signInUrl("bitbucket", "implicit"), bitbucket.login);
    const token = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
    const identity = (await api(server, "GET", "/user", { token })).body.identities[0];
    expect(identity.id).toMatch(/^\{[0-9a-f]{8}-0000-4000-8000-000000000000\}$/);
  });

  it("Apple: form_post to POST /callback, the ID token verified, the name from Apple's user field", async () => {
    const email = uniqueEmail("apple.user");
    const sub = `001234.apple-${Date.now()}`;
    apple.addAccount(sub, { email, emailVerified: true, name: "not sent by Apple" });
    for (const flowType of ["implicit", "pkce"] as const) {
      const app = client(flowType);
      const { data } = await app.auth.signInWithOAuth({
        provider: "apple",
        options: { redirectTo: APP, skipBrowserRedirect: true },
      });
      const authorize = await follow(data.url as string);
      const at = new URL(authorize.headers.get("location") as string);
      expect(at.searchParams.get("response_mode")).toBe("form_post");
      expect(at.searchParams.get("scope")).toBe("openid email name");
      const form = await apple.signInFormPost(at.toString(), sub);
      expect(form.action).toBe(`${server.url}/auth/v1/callback`);
      expect(form.fields.code).toBeTruthy();
      // Apple adds the user's name as JSON in a `user` field, on the first sign-in only.
      const body = new URLSearchParams({
        ...form.fields,
        user: JSON.stringify({ name: { firstName: "Zoë", lastName: "東京" }, email }),
      });
      const back = await fetch(form.action, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      expect(back.status).toBe(303);
      const landed = new URL(back.headers.get("location") as string);
      expect(`${landed.origin}${landed.pathname}`).toBe(APP);
      let accessToken: string;
      if (flowType === "pkce") {
        const exchanged = await app.auth.exchangeCodeForSession(landed.searchParams.get("code") as string);
        expect(exchanged.error).toBeNull();
        accessToken = exchanged.data.session?.access_token as string;
      } else {
        accessToken = new URLSearchParams(landed.hash.slice(1)).get("access_token") as string;
      }
      const user = await api(server, "GET", "/user", { token: accessToken });
      expect(user.body.email).toBe(email);
      expect(user.body.user_metadata.name).toBe("Zoë 東京");
      expect(user.body.identities.map((identity: { provider: string }) => identity.provider)).toEqual([
        "apple",
      ]);
      expect(user.body.identities[0].id).toBe(sub);
    }
    // A posted form whose state was not signed here is refused.
    const forged = await fetch(`${server.url}/auth/v1/callback`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: "abc", state: "eyJhbGciOiJIUzI1NiJ9.e30.x" }),
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    expect(forged.status).toBe(400);
  });

  it("Apple ID tokens from a mobile app sign in through signInWithIdToken, checked against Apple's keys", async () => {
    const email = uniqueEmail("apple.mobile");
    const sub = `001234.mobile-${Date.now()}`;
    apple.addAccount(sub, { email, emailVerified: true, name: "Zoë" });
    const rawNonce = "mobile-nonce-東京-🌸";
    const authorize = new URL(`${apple.issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: apple.clientId,
      redirect_uri: `${server.url}/auth/v1/callback`,
      response_type: "code",
      scope: "openid email",
      nonce: createHash("sha256").update(rawNonce).digest("hex"),
      state: "mobile",
    }).toString();
    const code = new URL(await apple.signIn(authorize.toString(), sub)).searchParams.get("code") as string;
    const tokens = (await (
      await fetch(`${apple.issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: `${server.url}/auth/v1/callback`,
          client_id: apple.clientId,
          client_secret: apple.clientSecret,
        }),
        signal: AbortSignal.timeout(10_000),
      })
    ).json()) as { id_token: string };
    const app = client("implicit");
    const tampered = await app.auth.signInWithIdToken({
      provider: "apple",
      token: `${tokens.id_token.slice(0, -6)}AAAAAA`,
      nonce: rawNonce,
    });
    expect(tampered.error?.code).toBe("validation_failed");
    const { data, error } = await app.auth.signInWithIdToken({
      provider: "apple",
      token: tokens.id_token,
      nonce: rawNonce,
    });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.identities?.map((identity) => [identity.provider, identity.id])).toEqual([
      ["apple", sub],
    ]);
    // GitHub issues no ID tokens.
    const github = await app.auth.signInWithIdToken({ provider: "github", token: tokens.id_token });
    expect(github.error?.code).toBe("validation_failed");
  });

  it("linkIdentity attaches a GitHub identity to the signed-in user; unlinkIdentity removes it", async () => {
    const app = client("implicit");
    const signUp = await app.auth.signUp({ email: uniqueEmail("gh.linker"), password: "link-pass-3" });
    const { login } = account("github", [{ email: uniqueEmail("gh.work"), verified: true, primary: true }]);
    const { data, error } = await app.auth.linkIdentity({
      provider: "github",
      options: { redirectTo: APP, skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    const at = new URL(data.url as string);
    expect(`${at.origin}${at.pathname}`).toBe(`${providers.github.url}/login/oauth/authorize`);
    expect(at.searchParams.has("skip_http_redirect")).toBe(false);
    const callback = await providers.github.signIn(data.url as string, login);
    const landed = new URL((await follow(callback)).headers.get("location") as string);
    expect(decodeJwt(new URLSearchParams(landed.hash.slice(1)).get("access_token") as string).sub).toBe(
      signUp.data.user?.id,
    );
    const identities = await app.auth.getUserIdentities();
    expect(identities.data?.identities.map((identity) => identity.provider).sort()).toEqual([
      "email",
      "github",
    ]);
    const github = identities.data?.identities.find((identity) => identity.provider === "github");
    const unlinked = await app.auth.unlinkIdentity(github as NonNullable<typeof github>);
    expect(unlinked.error).toBeNull();
    const after = await app.auth.getUserIdentities();
    expect(after.data?.identities.map((identity) => identity.provider)).toEqual(["email"]);
  });

  it("abandoned flow states older than a day are deleted when a new flow is written", async () => {
    const insert = (age: string) =>
      server.db.admin.query<{ id: string }>(
        `insert into auth.flow_state (id, auth_code, code_challenge_method, code_challenge, provider_type,
                                      authentication_method, created_at, updated_at)
         values (gen_random_uuid(), gen_random_uuid()::text, 's256', 'abandoned-東京', 'github', 'oauth',
                 now() - $1::interval, now() - $1::interval)
         returning id`,
        [age],
      );
    const old = (await insert("25 hours")).rows[0]?.id;
    const recent = (await insert("1 hour")).rows[0]?.id;
    const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const start = await follow(
      `${server.url}/auth/v1/authorize?provider=github&code_challenge=${challenge}&code_challenge_method=s256`,
    );
    expect(start.status).toBe(302);
    const { rows } = await server.db.admin.query<{
      id: string;
      user_id: string | null;
      code_challenge: string;
    }>(
      "select id, user_id, code_challenge from auth.flow_state where id = any($1::uuid[]) or code_challenge = $2",
      [[old, recent], challenge],
    );
    const ids = rows.map((row) => row.id);
    expect(ids).not.toContain(old);
    expect(ids).toContain(recent);
    const started = rows.find((row) => row.code_challenge === challenge);
    expect(started?.user_id).toBeNull();
  });
});
