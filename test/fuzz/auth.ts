import type { TestServer } from "../harness/server.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

const PASSWORD = "Fuzz-pass-123!";
const FUZZ_EMAIL = "fuzz.user@example.com";
const HEALTHY_EMAIL = "fuzz.after@example.com";
/** `[auth.sms.test_otp]` numbers of the fuzz project (code 123456): phone sign-in without SMS delivery. */
export const FUZZ_TEST_NUMBERS = ["14155550100", "14155550101", "14155550102", "14155550103"] as const;
const [OTP_NUMBER, SIGNUP_NUMBER, PASSWORD_NUMBER, CHANGE_NUMBER] = FUZZ_TEST_NUMBERS;

function json(method: string, path: string, key: string, body: unknown, bearer?: string): FuzzRequest {
  return {
    method,
    path,
    headers: {
      apikey: key,
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      "content-type": "application/json",
      "x-supabase-api-version": "2024-01-01",
    },
    body: JSON.stringify(body),
  };
}

function get(path: string, key: string, bearer?: string): FuzzRequest {
  return {
    method: "GET",
    path,
    headers: { apikey: key, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
  };
}

const v = (context: FuzzContext, name: string) => context.values[name] as string;
const anon = (context: FuzzContext) => context.server.anonKey;
const service = (context: FuzzContext) => context.server.serviceRoleKey;

const ROUTES: readonly FuzzRoute[] = [
  { method: "GET", route: "/auth/v1/health", example: (c) => get("/auth/v1/health", anon(c)) },
  { method: "GET", route: "/auth/v1/settings", example: (c) => get("/auth/v1/settings", anon(c)) },
  {
    method: "GET",
    route: "/auth/v1/.well-known/jwks.json",
    example: (c) => get("/auth/v1/.well-known/jwks.json", anon(c)),
  },
  {
    method: "POST",
    route: "/auth/v1/signup",
    example: (c) =>
      json("POST", "/auth/v1/signup", anon(c), {
        email: "zoe.signup@example.com",
        password: PASSWORD,
        data: { name: "Zoë Ångström 👋", city: "東京", greeting: "مرحبا" },
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/token",
    example: (c) =>
      json("POST", "/auth/v1/token?grant_type=password", anon(c), { email: FUZZ_EMAIL, password: PASSWORD }),
  },
  {
    method: "GET",
    route: "/auth/v1/user",
    example: (c) => get("/auth/v1/user", anon(c), v(c, "accessToken")),
  },
  {
    method: "PUT",
    route: "/auth/v1/user",
    example: (c) =>
      json("PUT", "/auth/v1/user", anon(c), { data: { nickname: "Café ☕" } }, v(c, "accessToken")),
  },
  {
    method: "POST",
    route: "/auth/v1/logout",
    example: (c) => ({ ...get("/auth/v1/logout?scope=local", anon(c), v(c, "logoutToken")), method: "POST" }),
    exampleStatus: 204,
  },
  {
    method: "POST",
    route: "/auth/v1/recover",
    example: (c) => json("POST", "/auth/v1/recover", anon(c), { email: FUZZ_EMAIL }),
  },
  {
    method: "GET",
    route: "/auth/v1/verify",
    example: () => ({
      method: "GET",
      path: "/auth/v1/verify?token=abc&type=signup&redirect_to=http%3A%2F%2F127.0.0.1%3A3000",
      headers: {},
    }),
    exampleStatus: 303,
  },
  {
    method: "POST",
    route: "/auth/v1/verify",
    example: (c) => json("POST", "/auth/v1/verify", anon(c), { type: "signup", token_hash: "abc" }),
    exampleStatus: 403,
  },
  {
    method: "POST",
    route: "/auth/v1/otp",
    example: (c) => json("POST", "/auth/v1/otp", anon(c), { email: FUZZ_EMAIL, create_user: false }),
  },
  {
    method: "POST",
    route: "/auth/v1/otp",
    example: (c) =>
      json("POST", "/auth/v1/otp", anon(c), {
        phone: `+1 ${OTP_NUMBER.slice(1)}`,
        data: { name: "Jürgen 電話" },
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/verify",
    example: (c) =>
      json("POST", "/auth/v1/verify", anon(c), { type: "sms", phone: OTP_NUMBER, token: "000000" }),
    exampleStatus: 403,
  },
  {
    method: "POST",
    route: "/auth/v1/signup",
    example: (c) =>
      json("POST", "/auth/v1/signup", anon(c), {
        phone: `+${SIGNUP_NUMBER}`,
        password: PASSWORD,
        data: { emoji: "📞" },
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/token",
    example: (c) =>
      json("POST", "/auth/v1/token?grant_type=password", anon(c), {
        phone: PASSWORD_NUMBER,
        password: PASSWORD,
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/resend",
    example: (c) => json("POST", "/auth/v1/resend", anon(c), { type: "sms", phone: PASSWORD_NUMBER }),
  },
  {
    method: "POST",
    route: "/auth/v1/resend",
    example: (c) => json("POST", "/auth/v1/resend", anon(c), { type: "phone_change", phone: CHANGE_NUMBER }),
  },
  {
    method: "POST",
    route: "/auth/v1/verify",
    example: (c) =>
      json("POST", "/auth/v1/verify", anon(c), {
        type: "phone_change",
        phone: CHANGE_NUMBER,
        token: "000000",
      }),
    exampleStatus: 403,
  },
  {
    method: "PUT",
    route: "/auth/v1/user",
    example: (c) =>
      json("PUT", "/auth/v1/user", anon(c), { phone: `+${CHANGE_NUMBER}` }, v(c, "accessToken")),
  },
  {
    method: "POST",
    route: "/auth/v1/magiclink",
    example: (c) => json("POST", "/auth/v1/magiclink", anon(c), { email: FUZZ_EMAIL }),
  },
  {
    method: "POST",
    route: "/auth/v1/resend",
    example: (c) => json("POST", "/auth/v1/resend", anon(c), { type: "signup", email: FUZZ_EMAIL }),
  },
  {
    method: "GET",
    route: "/auth/v1/reauthenticate",
    example: (c) => get("/auth/v1/reauthenticate", anon(c), v(c, "accessToken")),
  },
  {
    method: "POST",
    route: "/auth/v1/invite",
    example: (c) =>
      json(
        "POST",
        "/auth/v1/invite",
        service(c),
        { email: "invitee@example.com", data: { é: "日本" } },
        service(c),
      ),
  },
  {
    method: "POST",
    route: "/auth/v1/admin/generate_link",
    example: (c) =>
      json(
        "POST",
        "/auth/v1/admin/generate_link",
        service(c),
        { type: "magiclink", email: FUZZ_EMAIL },
        service(c),
      ),
  },
  {
    method: "GET",
    route: "/auth/v1/admin/users",
    example: (c) => get("/auth/v1/admin/users?page=1&per_page=5", service(c), service(c)),
  },
  {
    method: "POST",
    route: "/auth/v1/admin/users",
    example: (c) =>
      json(
        "POST",
        "/auth/v1/admin/users",
        service(c),
        {
          email: "alesund.admin@example.com",
          password: PASSWORD,
          user_metadata: { é: "ü" },
          app_metadata: { plan: "pro" },
        },
        service(c),
      ),
  },
  {
    method: "GET",
    route: "/auth/v1/admin/users/:user_id",
    example: (c) => get(`/auth/v1/admin/users/${v(c, "userId")}`, service(c), service(c)),
  },
  {
    method: "PUT",
    route: "/auth/v1/admin/users/:user_id",
    example: (c) =>
      json(
        "PUT",
        `/auth/v1/admin/users/${v(c, "targetId")}`,
        service(c),
        { user_metadata: { note: "日本" } },
        service(c),
      ),
  },
  {
    method: "DELETE",
    route: "/auth/v1/admin/users/:user_id",
    example: (c) => ({
      ...get("/auth/v1/admin/users/00000000-0000-4000-8000-00000000f00d", service(c), service(c)),
      method: "DELETE",
    }),
    exampleStatus: 404,
  },
];

/** A NUL character in one string field of the JSON body (GoTrue answers 400 validation_failed). */
const nulInField: Mutation = (request, random) => {
  if (!request.body) return request;
  try {
    const body = JSON.parse(request.body) as Record<string, unknown>;
    const keys = Object.keys(body);
    if (keys.length === 0) return request;
    const key = random.pick(keys);
    body[key] = typeof body[key] === "string" ? `${body[key]}\u0000` : { nested: "\u0000", "\u0000": 1 };
    return { ...request, body: JSON.stringify(body) };
  } catch {
    return request;
  }
};

/** The fields GoTrue's endpoints read, each set to a value of the wrong kind or with a NUL. */
const authFields: Mutation = (request, random) => {
  const field = random.pick([
    "email",
    "password",
    "phone",
    "refresh_token",
    "token_hash",
    "token",
    "type",
    "data",
    "user_metadata",
    "app_metadata",
    "ban_duration",
    "role",
    "nonce",
    "code_challenge",
    "gotrue_meta_security",
    "options",
  ]);
  const value = random.pick<unknown>([
    "\u0000",
    "a\u0000@example.com",
    "",
    12,
    null,
    ["x"],
    { a: "\u0000" },
    "x".repeat(300),
    "9999999h",
    "-1h",
    "none",
    "é@é.é",
  ]);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(request.body ?? "{}") as Record<string, unknown>;
  } catch {}
  return {
    ...request,
    body: JSON.stringify({ ...(typeof body === "object" && body ? body : {}), [field]: value }),
  };
};

/** PKCE and link parameters: challenges, codes and verifiers, link types, redirect tricks. */
const pkceAndLinks: Mutation = (request, random) => {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(request.body ?? "{}") as Record<string, unknown>;
  } catch {}
  const field = random.pick([
    "code_challenge",
    "code_challenge_method",
    "auth_code",
    "code_verifier",
    "type",
    "redirect_to",
    "new_email",
    "create_user",
  ]);
  const value = random.pick<unknown>([
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "x".repeat(129),
    "s256",
    "S256",
    "plain",
    "md5",
    "00000000-0000-4000-8000-000000000000",
    "pkce_\u0000",
    "email_change_current",
    "email_change_new",
    "phone_change",
    "//evil.example",
    "https://app.example.com\\@evil.example",
    "javascript:alert(1)",
    "http://2130706433/",
    "myapp://callback",
    true,
    "Zoë.東京@example.com",
  ]);
  const path = random.chance(0.2)
    ? `${request.path.split("?")[0]}?redirect_to=${encodeURIComponent(String(value))}`
    : request.path;
  try {
    const merged = { ...(typeof body === "object" && body ? body : {}), [field]: value };
    return { ...request, path, body: JSON.stringify(merged) };
  } catch {
    // A body another mutation nested too deeply to serialise again: change only the path.
    return { ...request, path };
  }
};

/** Query parameters the endpoints read: grant types, pages, verify tokens (NUL included). */
const authQuery: Mutation = (request, random) => {
  const [path] = request.path.split("?");
  const query = random.pick([
    "grant_type=password",
    "grant_type=refresh_token",
    "grant_type=pkce",
    "grant_type=id_token",
    "grant_type=%00",
    "page=99999999999999999999999999",
    "page=-1&per_page=0",
    "per_page=99999999999999999999999999",
    "token=%00&type=signup",
    "token=%00&type=%00",
    "token=abc&type=recovery&redirect_to=%00",
    "scope=global",
    "scope=%00",
    "filter=%00",
    "redirect_to=javascript:alert(1)",
  ]);
  return { ...request, path: `${path}?${query}` };
};

async function createUser(server: TestServer, email: string): Promise<{ id: string }> {
  const response = await fetch(`${server.url}/auth/v1/admin/users`, {
    method: "POST",
    headers: {
      apikey: server.serviceRoleKey,
      authorization: `Bearer ${server.serviceRoleKey}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ email, password: PASSWORD, email_confirm: true }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200)
    throw new Error(`creating ${email} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string };
}

async function signIn(
  server: TestServer,
  email: string,
): Promise<{ access_token: string; refresh_token: string; user: { id: string } }> {
  const response = await fetch(`${server.url}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: server.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200)
    throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string; user: { id: string } };
}

/** GoTrue's error bodies: `{code, message}` (API version 2024-01-01), legacy `{code, error_code, msg}`, or OAuth's. */
export function gotrueShape(_status: number, body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "not JSON";
  }
  const keys = Object.keys(parsed as object);
  if (keys.includes("error") && keys.includes("error_description")) return null;
  if (keys.includes("code") && (keys.includes("message") || keys.includes("msg"))) return null;
  return `keys ${keys.join(",")}`;
}

/** The auth service (GoTrue's endpoints under /auth/v1). */
export const authFuzz: FuzzService = {
  name: "auth",
  prefix: "/auth/v1",
  routes: ROUTES,
  mutations: [nulInField, authFields, authQuery, pkceAndLinks],
  async setup(server) {
    await createUser(server, FUZZ_EMAIL);
    await createPhoneUser(server, PASSWORD_NUMBER);
    const target = (await createUser(server, "fuzz.target@example.com")).id;
    const session = await signIn(server, FUZZ_EMAIL);
    const logout = await signIn(server, FUZZ_EMAIL);
    return {
      userId: session.user.id,
      targetId: target,
      accessToken: session.access_token,
      refreshToken: session.refresh_token,
      logoutToken: logout.access_token,
    };
  },
  errorShape: gotrueShape,
  async healthy({ server }) {
    // The run may have changed the fuzz users (password, email, ban): a new user shows the service works.
    await server.database.query("delete from groundwork.rate_limits");
    await createUser(server, HEALTHY_EMAIL);
    const session = await signIn(server, HEALTHY_EMAIL);
    const user = await fetch(`${server.url}/auth/v1/user`, {
      headers: { apikey: server.anonKey, authorization: `Bearer ${session.access_token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (user.status !== 200)
      throw new Error(`GET /auth/v1/user answered ${user.status}: ${await user.text()}`);
    const body = (await user.json()) as { email?: string };
    if (body.email !== HEALTHY_EMAIL) throw new Error(`GET /auth/v1/user answered ${JSON.stringify(body)}`);
  },
};

/** A confirmed phone user with the fuzz password ([auth.sms] confirmations are off in the fuzz project). */
async function createPhoneUser(server: TestServer, phone: string): Promise<void> {
  const response = await fetch(`${server.url}/auth/v1/signup`, {
    method: "POST",
    headers: { apikey: server.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ phone, password: PASSWORD }),
  });
  if (response.status !== 200)
    throw new Error(`phone sign-up answered ${response.status}: ${await response.text()}`);
}
