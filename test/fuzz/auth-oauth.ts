import { gotrueShape } from "./auth.js";
import type { FuzzRoute, FuzzService, Mutation } from "./types.js";

const ROUTES: readonly FuzzRoute[] = [
  {
    method: "GET",
    route: "/auth/v1/authorize",
    // The fuzz project configures no external provider: the valid request is refused as unsupported.
    example: () => ({
      method: "GET",
      path: "/auth/v1/authorize?provider=keycloak&redirect_to=http%3A%2F%2F127.0.0.1%3A3000%2F",
      headers: {},
    }),
    exampleStatus: 400,
  },
  {
    method: "GET",
    route: "/auth/v1/callback",
    example: () => ({ method: "GET", path: "/auth/v1/callback?code=abc&state=xyz", headers: {} }),
    exampleStatus: 400,
  },
  {
    method: "GET",
    route: "/auth/v1/user/identities/authorize",
    example: (c) => ({
      method: "GET",
      path: "/auth/v1/user/identities/authorize?provider=keycloak&skip_http_redirect=true",
      headers: { apikey: c.server.anonKey, authorization: `Bearer ${c.values.accessToken}` },
    }),
    exampleStatus: 400,
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
  ]);
  return { ...request, path: `${path}?${query}` };
};

/** The OAuth endpoints of the auth service: sign-in (`/authorize`, `/callback`) and identity linking. */
export const authOauthFuzz: FuzzService = {
  name: "auth",
  prefix: "/auth/v1",
  routes: ROUTES,
  mutations: [oauthQuery],
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
    return { accessToken: body.access_token, identityId: body.user?.identities?.[0]?.identity_id ?? "" };
  },
  async healthy() {
    // Stateless endpoints: the auth service's own check covers the service.
  },
};
