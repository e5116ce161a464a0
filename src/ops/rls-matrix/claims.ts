import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Config } from "../../config/index.js";
import type { RequestContext } from "../../db/context.js";
import { parseHookUri, runAccessTokenHook } from "../../services/auth/index.js";
import { type FixtureUser, hostileUserMetadata } from "./fixtures.js";

/** The kit's hook, used when the project configures none (with a warning). */
export const KIT_HOOK_URI = "pg-functions://postgres/groundwork/access_token_hook";

/**
 * The claims of the access token the auth service would sign for `user` after a password
 * sign-in: GoTrue's full claim set, then the project's custom access token hook (run the way the
 * auth service runs it, as supabase_auth_admin), so policies see exactly what real tokens carry.
 */
export async function userClaims(
  client: pg.ClientBase,
  config: Config,
  user: FixtureUser,
  otherTenant: string,
  hookUri: string | null,
): Promise<Record<string, unknown>> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: config.auth.jwtIssuer,
    sub: user.id,
    aud: "authenticated",
    exp: now + config.auth.jwtExpiry,
    iat: now,
    email: user.email,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: hostileUserMetadata(otherTenant),
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
  };
  if (hookUri === null) return claims;
  return runAccessTokenHook(client, parseHookUri(hookUri), {
    user_id: user.id,
    claims,
    authentication_method: "password",
  });
}

/** The claims of a request with only the anon key: the key's own payload, as the API decodes it. */
export function anonClaims(config: Config): Record<string, unknown> {
  const payload = config.jwt.anonKey.split(".")[1] ?? "";
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    return { ...claims, role: "anon" };
  } catch {
    return { role: "anon" };
  }
}

/** The request context a cell runs with: what the data API builds for a request to `/table`. */
export function cellContext(
  role: string,
  claims: Readonly<Record<string, unknown>>,
  method: string,
  table: string,
  requestId: string,
): RequestContext {
  return {
    role,
    claims: { ...claims, role },
    token: null,
    headers: {
      "user-agent": "groundwork test rls",
      "x-forwarded-for": "127.0.0.1",
      "x-request-id": requestId,
    },
    cookies: {},
    method,
    path: `/${table.split(".").pop() ?? table}`,
    requestId,
  };
}
