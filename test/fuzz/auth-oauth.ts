import { gotrueShape } from "./auth.js";
import type { FuzzRoute, FuzzService, Mutation } from "./types.js";

const ROUTES: readonly FuzzRoute[] = [
  {
    method: "GET",
    route: "/auth/v1/authorize",
    // The fuzz project configures GitHub (at an address nobody answers): a redirect to it.
    example: () => ({
      method: "GET",
      path: "/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A3000%2F&scopes=repo",
      headers: {},
    }),
    exampleStatus: 302,
  },
  {
    method: "GET",
    route: "/auth/v1/callback",
    // A state this server signed; the provider cannot be reached, so the app gets an error (303).
    example: (c) => ({
      method: "GET",
      path: `/auth/v1/callback?code=abc&state=${c.values.state}`,
      headers: {},
    }),
    exampleStatus: 303,
  },
  {
    method: "POST",
    route: "/auth/v1/callback",
    // Apple's form_post: a signed state from /authorize, then a provider that cannot be reached,
    // which goes back to the app as an error (303).
    example: (c) => ({
      method: "POST",
      path: "/auth/v1/callback",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        code: "c0de-東京",
        state: c.values.state ?? "",
        user: JSON.stringify({ name: { firstName: "Zoë", lastName: "🌸" } }),
      }).toString(),
    }),
    exampleStatus: 303,
  },
  {
    method: "GET",
    route: "/auth/v1/user/identities/authorize",
    example: (c) => ({
      method: "GET",
      path: "/auth/v1/user/identities/authorize?provider=github&skip_http_redirect=true",
      headers: { apikey: c.server.anonKey, authorization: `Bearer ${c.values.accessToken}` },
    }),
    exampleStatus: 200,
  },
  {
    method: "DELETE",
    route: "/auth/v1/user/identities/:identity_id",
    // The fuzz user has one identity, which may never be unlinked.
    example: (c) => ({
      method: "DELETE",
      path: `/auth/v1/user/identities/${c.values.identityId}`,
      headers: { apikey: c.server.anonKey, authorization: `Bearer ${c.values.accessToken}` },
    }),
    exampleStatus: 422,
  },
];

/** Query parameters of the OAuth endpoints: providers, states, codes, PKCE and redirect tricks. */
const oauthQuery: Mutation = (request, random) => {
  const [path] = request.path.split("?");
  const query = random.pick([
    "provider=%00",
    "provider=google&redirect_to=javascript:alert(1)",
    "provider=KEYCLOAK&code_challenge=abc&code_challenge_method=md5",
    "provider=github&scopes=%F0%9F%8C%B8%20repo",
    "provider=keycloak&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
    "state=eyJhbGciOiJub25lIn0.eyJwcm92aWRlciI6ImtleWNsb2FrIn0.&code=1",
    "state=%00&code=%00",
    "error=access_denied&error_description=%E6%9D%B1%E4%BA%AC&state=x",
    "code=&state=",
    `state=${"a".repeat(5000)}`,
    "provider=__proto__",
    "provider=constructor&redirect_to=%2F%2Fevil.example",
    "provider=github&redirect_to=https%3A%2F%2F127.0.0.1%3A3000%40evil.example&client_id=x&redirect_uri=y",
    "provider=github&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=s256&state=z",
    "provider=github&redirect_to=%5C%5Cevil.example&response_mode=form_post&%F0%9F%8C%B8=%E6%9D%B1",
  ]);
  return { ...request, path: `${path}?${query}` };
};

/** Bodies Apple-style form posts could carry: repeated, broken, oversized and odd fields. */
const callbackForm: Mutation = (request, random) => {
  if (request.method !== "POST") return request;
  const body = random.pick([
    "state=&code=",
    "code=a&code=b&state=x&state=y",
    "user=%7Bnot-json&state=x&code=1",
    `user=${encodeURIComponent(JSON.stringify({ name: { firstName: 7, lastName: ["東京"] } }))}&state=x&code=1`,
    "__proto__=1&constructor=2&state=x",
    "state=%00&code=%00",
    "error=access_denied&error_description=%F0%9F%8C%B8&state=x",
    `code=${"c".repeat(20_000)}&state=x`,
    "%E0%A4%A=bad-percent&state=x",
  ]);
  const contentType = random.pick([
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/json",
    "text/plain",
  ]);
  return { ...request, body, headers: { ...request.headers, "content-type": contentType } };
};

/** The OAuth endpoints of the auth service: sign-in (`/authorize`, `/callback`) and identity linking. */
export const authOauthFuzz: FuzzService = {
  name: "auth",
  prefix: "/auth/v1",
  routes: ROUTES,
  mutations: [oauthQuery, callbackForm],
  errorShape: gotrueShape,
  async setup(server) {
    const response = await fetch(`${server.url}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: server.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: "fuzz.oauth@example.com", password: "Fuzz-oauth-pass-1!" }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as {
      access_token?: string;
      user?: { identities?: { identity_id: string }[] };
    };
    if (!body.access_token) throw new Error(`sign-up answered ${response.status}: ${JSON.stringify(body)}`);
    // A state signed by this server, as /authorize puts it in the provider's URL.
    const authorize = await fetch(`${server.url}/auth/v1/authorize?provider=github`, {
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    const state = new URL(authorize.headers.get("location") ?? "http://x/").searchParams.get("state");
    if (!state) throw new Error(`/authorize answered ${authorize.status} without a state`);
    return {
      accessToken: body.access_token,
      identityId: body.user?.identities?.[0]?.identity_id ?? "",
      state,
    };
  },
  async healthy() {
    // Stateless endpoints: the auth service's own check covers the service.
  },
};
