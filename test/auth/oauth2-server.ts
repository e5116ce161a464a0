import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The REST API shapes served: GitHub (Enterprise paths), GitLab, Discord and Bitbucket. */
export type Flavor = "github" | "gitlab" | "discord" | "bitbucket";

/** A user of the provider. The first verified-or-not address marked primary is the main one. */
export interface RestAccount {
  readonly id: number;
  readonly login: string;
  readonly name: string;
  readonly emails: readonly {
    readonly email: string;
    readonly verified: boolean;
    readonly primary: boolean;
  }[];
}

/**
 * A real OAuth 2.0 authorization server with the provider's user API, on a local port: it
 * registers one client and its callback, issues single-use codes bound to the client, the
 * redirect URI and the signed-in user, exchanges them (once, within 10 minutes) for access tokens,
 * and answers the user API only for those tokens, in the provider's own JSON shapes. Who is
 * signed in at the provider is a cookie the test browser sends (`session=<login>`).
 */
export interface OAuth2Server {
  /** What `[auth.external.NAME] url` names. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  addAccount(account: RestAccount): void;
  /** Registers the client's callback URL (its `redirect_uri` must then be exactly this). */
  registerCallback(url: string): void;
  /**
   * Plays the browser at the provider: opens `authorizeUrl` signed in as `login` (or declining
   * when `decline` is set) and returns where the provider sends the browser back.
   */
  signIn(authorizeUrl: string, login: string, options?: { decline?: boolean }): Promise<string>;
  /** The scopes of the last authorization request, as sent. */
  readonly lastScope: string;
  /** Calls the provider's user API with an access token; the status it answers. */
  userStatus(accessToken: string): Promise<number>;
  close(): Promise<void>;
}

interface Grant {
  readonly login: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly expiresAt: number;
  used: boolean;
}

const PATHS: Readonly<
  Record<Flavor, { authorize: string; token: string; user: string; emails: string | null }>
> = {
  github: {
    authorize: "/login/oauth/authorize",
    token: "/login/oauth/access_token",
    user: "/api/v3/user",
    emails: "/api/v3/user/emails",
  },
  gitlab: {
    authorize: "/oauth/authorize",
    token: "/oauth/token",
    user: "/api/v4/user",
    emails: "/api/v4/user/emails",
  },
  discord: {
    authorize: "/api/oauth2/authorize",
    token: "/api/oauth2/token",
    user: "/api/users/@me",
    emails: null,
  },
  bitbucket: {
    authorize: "/site/oauth2/authorize",
    token: "/site/oauth2/access_token",
    user: "/2.0/user",
    emails: "/2.0/user/emails",
  },
};

const REQUIRED_SCOPES: Readonly<Record<Flavor, readonly string[]>> = {
  github: ["user:email"],
  gitlab: ["read_user"],
  discord: ["email", "identify"],
  bitbucket: ["account", "email"],
};

/** The client the provider knows. */
export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A client with a fresh id and secret (the app's config names them before the provider starts). */
export function newClient(flavor: Flavor): RegisteredClient {
  return { clientId: `${flavor}-${randomUUID()}`, clientSecret: randomBytes(24).toString("hex") };
}

/**
 * Starts the provider on a free port with one client; its only callback is the one given to
 * `registerCallback` (the app's URL is known only once the app runs, after its config named
 * this server).
 */
export async function startOAuth2Server(flavor: Flavor, registered: RegisteredClient): Promise<OAuth2Server> {
  const { clientId, clientSecret } = registered;
  let callbackUrl = "";
  const accounts = new Map<string, RestAccount>();
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scope: string }>();
  const paths = PATHS[flavor];
  let lastScope = "";

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => json(response, 500, { message: error.message }));
  });

  /** Each handler answers the request and returns true (so `return answer(...)` reads as "done"). */
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? "/", "http://provider");
    if (request.method === "GET" && url.pathname === paths.authorize)
      return authorize(request, url, response);
    if (request.method === "POST" && url.pathname === paths.token) return exchange(request, response);
    if (request.method === "GET" && (url.pathname === paths.user || url.pathname === paths.emails)) {
      const bearer = /^(?:Bearer|token) (.+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
      const grant = tokens.get(bearer);
      const account = grant ? accounts.get(grant.login) : undefined;
      if (!grant || !account) return json(response, 401, { message: "Bad credentials" });
      if (url.pathname === paths.user) return json(response, 200, userJson(flavor, account));
      if (flavor === "github" && !grant.scope.split(" ").includes("user:email"))
        return json(response, 404, { message: "Not Found" });
      return json(response, 200, emailsJson(flavor, account));
    }
    return json(response, 404, { message: "Not Found" });
  }

  function authorize(request: IncomingMessage, url: URL, response: ServerResponse): boolean {
    const query = url.searchParams;
    if (query.get("client_id") !== clientId) return json(response, 400, { error: "unknown client" });
    if (callbackUrl === "" || query.get("redirect_uri") !== callbackUrl)
      return json(response, 400, { error: "redirect_uri_mismatch" });
    if (query.get("response_type") !== "code")
      return json(response, 400, { error: "unsupported_response_type" });
    const scope = query.get("scope") ?? "";
    lastScope = scope;
    const back = new URL(callbackUrl);
    const state = query.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const missing = REQUIRED_SCOPES[flavor].filter((required) => !scope.split(" ").includes(required));
    if (missing.length > 0) {
      back.searchParams.set("error", "invalid_scope");
      back.searchParams.set("error_description", `missing scopes: ${missing.join(" ")}`);
      return redirect(response, back);
    }
    const cookie = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.cookie ?? "")?.[1];
    const login = cookie ? decodeURIComponent(cookie) : undefined;
    if (!login || !accounts.has(login)) return json(response, 401, { error: "sign in first" });
    if (/(?:^|;\s*)decline=1/.test(request.headers.cookie ?? "")) {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
      return redirect(response, back);
    }
    const code = randomBytes(20).toString("hex");
    codes.set(code, { login, redirectUri: callbackUrl, scope, expiresAt: Date.now() + 600_000, used: false });
    back.searchParams.set("code", code);
    return redirect(response, back);
  }

  async function exchange(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const form = new URLSearchParams(await readBody(request));
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const [basicId, basicSecret] = basic ? Buffer.from(basic, "base64").toString().split(":") : [];
    const id = form.get("client_id") ?? (basicId ? decodeURIComponent(basicId) : "");
    const secret = form.get("client_secret") ?? (basicSecret ? decodeURIComponent(basicSecret) : "");
    const refuse = (error: string, description: string) =>
      // GitHub answers a bad code with 200 and an error body; the others with 400 or 401.
      json(response, flavor === "github" ? 200 : error === "invalid_client" ? 401 : 400, {
        error,
        error_description: description,
      });
    if (id !== clientId || secret !== clientSecret)
      return refuse("invalid_client", "The client_id and/or client_secret passed are incorrect.");
    if (form.get("grant_type") !== "authorization_code")
      return refuse("unsupported_grant_type", "Bad grant type.");
    const code = form.get("code") ?? "";
    const grant = codes.get(code);
    if (!grant || grant.used || grant.expiresAt < Date.now())
      return refuse("bad_verification_code", "The code passed is incorrect or expired.");
    if (form.get("redirect_uri") !== grant.redirectUri)
      return refuse("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL.");
    grant.used = true;
    const accessToken = `${flavor}_${randomBytes(20).toString("hex")}`;
    tokens.set(accessToken, { login: grant.login, scope: grant.scope });
    const body = { access_token: accessToken, token_type: "bearer", scope: grant.scope };
    if ((request.headers.accept ?? "").includes("application/json")) return json(response, 200, body);
    response.writeHead(200, { "content-type": "application/x-www-form-urlencoded" });
    response.end(new URLSearchParams(body).toString());
    return true;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    clientId,
    clientSecret,
    get lastScope() {
      return lastScope;
    },
    addAccount: (account) => accounts.set(account.login, account),
    registerCallback: (url) => {
      callbackUrl = url;
    },
    async signIn(authorizeUrl, login, options = {}) {
      const response = await fetch(authorizeUrl, {
        redirect: "manual",
        headers: { cookie: `session=${encodeURIComponent(login)}${options.decline ? "; decline=1" : ""}` },
        signal: AbortSignal.timeout(10_000),
      });
      const location = response.headers.get("location");
      if (response.status !== 302 || !location)
        throw new Error(`provider answered ${response.status}: ${await response.text()}`);
      return location;
    },
    async userStatus(accessToken) {
      const response = await fetch(`${base}${paths.user}`, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function primary(account: RestAccount) {
  return account.emails.find((email) => email.primary) ?? account.emails[0];
}

/** The user document in the provider's own shape. */
function userJson(flavor: Flavor, account: RestAccount): unknown {
  const main = primary(account);
  const avatar = `https://avatars.example/${account.id}.png`;
  switch (flavor) {
    case "github":
      return {
        id: account.id,
        login: account.login,
        name: account.name,
        avatar_url: avatar,
        email: main?.email ?? null,
      };
    case "gitlab":
      return {
        id: account.id,
        username: account.login,
        name: account.name,
        avatar_url: avatar,
        email: main?.email ?? "",
        confirmed_at: main?.verified ? "2026-01-02T03:04:05Z" : null,
      };
    case "discord":
      return {
        id: String(account.id),
        username: account.login,
        discriminator: "0",
        global_name: account.name,
        avatar: null,
        email: main?.email ?? null,
        verified: main?.verified ?? false,
      };
    case "bitbucket":
      return {
        uuid: `{${account.id.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000}`,
        display_name: account.name,
        avatar: { href: avatar },
      };
  }
}

/** The address list in the provider's own shape (GitLab lists only the secondary ones). */
function emailsJson(flavor: Flavor, account: RestAccount): unknown {
  switch (flavor) {
    case "github":
      return account.emails.map((email) => ({ ...email, visibility: email.primary ? "private" : null }));
    case "gitlab":
      return account.emails
        .filter((email) => email !== primary(account))
        .map((email, index) => ({ id: index + 1, email: email.email, confirmed_at: null }));
    case "bitbucket":
      return {
        values: account.emails.map((email) => ({
          email: email.email,
          is_primary: email.primary,
          is_confirmed: email.verified,
          type: "email",
        })),
      };
    default:
      return [];
  }
}

function json(response: ServerResponse, status: number, body: unknown): true {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
  return true;
}

function redirect(response: ServerResponse, to: URL): true {
  response.writeHead(302, { location: to.toString() });
  response.end();
  return true;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
