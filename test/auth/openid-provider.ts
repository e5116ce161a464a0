import type { Server } from "node:http";
import Provider from "oidc-provider";

/** An account the provider knows: its login name is its subject. */
export interface OpenIdAccount {
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name: string;
}

/** A real OpenID provider (`oidc-provider`, a certified implementation) on a local port. */
export interface OpenIdProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Adds (or replaces) an account under a subject. */
  addAccount(sub: string, account: OpenIdAccount): void;
  /**
   * Plays the browser at the provider: follows `authorizeUrl` through the provider's login and
   * consent pages as `sub`, and returns the URL the provider sends the browser back to.
   */
  signIn(authorizeUrl: string, sub: string): Promise<string>;
  /**
   * The same for `response_mode=form_post` (Apple's way): returns the form the provider's page
   * would have the browser post, its target and fields.
   */
  signInFormPost(
    authorizeUrl: string,
    sub: string,
  ): Promise<{ action: string; fields: Record<string, string> }>;
  close(): Promise<void>;
}

/** Starts the provider on `port` (from freePort(), so the app's config can name it first). */
export async function startOpenIdProvider(port: number, callbackUrl: string): Promise<OpenIdProvider> {
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, OpenIdAccount>();
  const clientId = "groundwork-app";
  const clientSecret = "a-client-secret-long-enough-for-hs256-0123456789";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callbackUrl],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    // `name` is Apple's scope for the user's name (Apple sends the name in the posted form only).
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], name: [] },
    features: { devInteractions: { enabled: true } },
    // ID tokens carry the scopes' claims (email...), as Google's and Keycloak's do.
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    async findAccount(_context, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: account.email, email_verified: account.emailVerified, name: account.name };
        },
      };
    },
  });
  const server: Server = provider.listen(port, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));

  async function signIn(authorizeUrl: string, sub: string): Promise<string> {
    const outcome = await browse(authorizeUrl, sub);
    if (typeof outcome !== "string") throw new Error("the provider answered with a form post");
    return outcome;
  }

  async function signInFormPost(authorizeUrl: string, sub: string) {
    const outcome = await browse(authorizeUrl, sub);
    if (typeof outcome === "string") throw new Error(`the provider redirected to ${outcome}`);
    return outcome;
  }

  async function browse(
    authorizeUrl: string,
    sub: string,
  ): Promise<string | { action: string; fields: Record<string, string> }> {
    const cookies = new Map<string, string>();
    const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const remember = (response: Response) => {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = (pair ?? "").indexOf("=");
        if (at > 0) cookies.set((pair as string).slice(0, at), (pair as string).slice(at + 1));
      }
    };
    let url = authorizeUrl;
    let body: URLSearchParams | null = null;
    for (let hop = 0; hop < 20; hop++) {
      if (!url.startsWith(issuer)) return url;
      const response = await fetch(url, {
        method: body ? "POST" : "GET",
        redirect: "manual",
        headers: {
          cookie: cookieHeader(),
          ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      remember(response);
      body = null;
      const location = response.headers.get("location");
      if (location) {
        url = new URL(location, url).toString();
        continue;
      }
      const page = await response.text();
      if (response.status !== 200)
        throw new Error(`provider answered ${response.status}: ${page.slice(0, 300)}`);
      const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(page)?.[1];
      if (action && !new URL(htmlText(action), url).toString().startsWith(issuer)) {
        const fields: Record<string, string> = {};
        for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
          fields[htmlText(name as string)] = htmlText(value as string);
        }
        return { action: htmlText(action), fields };
      }
      // The development interaction pages: a login form, then a consent form, posted to the page itself.
      body = page.includes('name="login"')
        ? new URLSearchParams({ prompt: "login", login: sub, password: "any" })
        : new URLSearchParams({ prompt: "consent" });
    }
    throw new Error("too many redirects at the provider");
  }

  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (sub, account) => accounts.set(sub, account),
    signIn,
    signInFormPost,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The entities oidc-provider's pages escape. */
function htmlText(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&#x2F;/g, "/")
    .replace(/&amp;/g, "&");
}
