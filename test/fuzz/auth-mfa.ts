import * as OTPAuth from "otpauth";
import type { TestServer } from "../harness/server.js";
import { gotrueShape } from "./auth.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

const PASSWORD = "Fuzz-mfa-pass-1!";
const EMAIL = "fuzz.mfa@example.com";

const v = (context: FuzzContext, name: string) => context.values[name] as string;

function request(context: FuzzContext, method: string, path: string, body?: unknown): FuzzRequest {
  return {
    method,
    path,
    headers: {
      apikey: context.server.anonKey,
      authorization: `Bearer ${v(context, "accessToken")}`,
      "content-type": "application/json",
      "x-supabase-api-version": "2024-01-01",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

function admin(context: FuzzContext, method: string, path: string): FuzzRequest {
  const key = context.server.serviceRoleKey;
  return { method, path, headers: { apikey: key, authorization: `Bearer ${key}` } };
}

const ROUTES: readonly FuzzRoute[] = [
  {
    method: "POST",
    route: "/auth/v1/factors",
    example: (c) =>
      request(c, "POST", "/auth/v1/factors", {
        factor_type: "totp",
        friendly_name: "Clé 🔑 鍵",
        issuer: "Zoë",
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/factors",
    example: (c) =>
      request(c, "POST", "/auth/v1/factors", {
        factor_type: "phone",
        friendly_name: "Téléphone ☎ 電話",
        phone: "+33 6 12 34 56 78",
      }),
  },
  {
    method: "POST",
    route: "/auth/v1/factors/:factorId/challenge",
    example: (c) => request(c, "POST", `/auth/v1/factors/${v(c, "factorId")}/challenge`, {}),
  },
  {
    method: "GET",
    route: "/auth/v1/admin/users/:user_id/factors",
    example: (c) => admin(c, "GET", `/auth/v1/admin/users/${v(c, "userId")}/factors`),
  },
  {
    method: "DELETE",
    route: "/auth/v1/admin/users/:user_id/factors/:factor_id",
    example: (c) =>
      admin(c, "DELETE", `/auth/v1/admin/users/${v(c, "userId")}/factors/${v(c, "adminFactorId")}`),
  },
  // Before verify: a verification removes the user's other unverified factors, as GoTrue's does.
  {
    method: "DELETE",
    route: "/auth/v1/factors/:factorId",
    example: (c) => request(c, "DELETE", `/auth/v1/factors/${v(c, "spareFactorId")}`),
  },
  {
    method: "POST",
    route: "/auth/v1/factors/:factorId/verify",
    example: (c) =>
      request(c, "POST", `/auth/v1/factors/${v(c, "factorId")}/verify`, {
        challenge_id: v(c, "challengeId"),
        code: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(v(c, "secret")) }).generate(),
      }),
  },
];

/** The fields the MFA endpoints read, with wrong kinds, odd codes and odd ids; and factor ids in the path. */
const mfaFields: Mutation = (current, random, context) => {
  if (random.chance(0.25)) {
    const id = random.pick([
      "00000000-0000-0000-0000-000000000000",
      "not-a-uuid",
      "%00",
      v(context, "factorId").toUpperCase(),
      "..%2F..%2Fuser",
      "日本",
    ]);
    return { ...current, path: current.path.replace(/factors\/[^/?]+/, `factors/${id}`) };
  }
  const field = random.pick([
    "factor_type",
    "friendly_name",
    "issuer",
    "phone",
    "challenge_id",
    "code",
    "channel",
  ]);
  const value = random.pick<unknown>([
    "totp",
    "phone",
    "webauthn",
    "",
    "\u0000",
    12,
    null,
    ["000000"],
    { code: "1" },
    "x".repeat(2000),
    "000000",
    "0000000000",
    "１２３４５６",
    v(context, "challengeId"),
    "00000000-0000-0000-0000-000000000000",
    "📱 電話",
  ]);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(current.body ?? "{}") as Record<string, unknown>;
  } catch {}
  try {
    return {
      ...current,
      body: JSON.stringify({ ...(typeof body === "object" && body ? body : {}), [field]: value }),
    };
  } catch {
    return current;
  }
};

async function call(server: TestServer, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${server.url}/auth/v1${path}`, {
    method,
    headers: { apikey: server.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** MFA endpoints of the auth service (`/auth/v1/factors...`), with a user holding two factors. */
export const authMfaFuzz: FuzzService = {
  name: "auth",
  prefix: "/auth/v1",
  routes: ROUTES,
  mutations: [mfaFields],
  errorShape: gotrueShape,
  async setup(server) {
    const signUp = await call(server, "POST", "/signup", server.anonKey, {
      email: EMAIL,
      password: PASSWORD,
    });
    const token = signUp.access_token as string;
    const factor = await call(server, "POST", "/factors", token, {
      factor_type: "totp",
      friendly_name: "main",
    });
    const spare = await call(server, "POST", "/factors", token, {
      factor_type: "totp",
      friendly_name: "spare",
    });
    const forAdmin = await call(server, "POST", "/factors", token, {
      factor_type: "totp",
      friendly_name: "admin",
    });
    const challenge = await call(server, "POST", `/factors/${factor.id}/challenge`, token, {});
    return {
      accessToken: token,
      factorId: factor.id as string,
      spareFactorId: spare.id as string,
      adminFactorId: forAdmin.id as string,
      userId: (signUp.user as { id: string }).id,
      secret: (factor.totp as { secret: string }).secret,
      challengeId: challenge.id as string,
    };
  },
  async healthy({ server }) {
    await server.database.query("delete from groundwork.rate_limits");
    const session = await call(server, "POST", "/token?grant_type=password", server.anonKey, {
      email: EMAIL,
      password: PASSWORD,
    });
    const user = await call(server, "GET", "/user", session.access_token as string);
    if (user.email !== EMAIL) throw new Error(`GET /auth/v1/user answered ${JSON.stringify(user)}`);
  },
};
