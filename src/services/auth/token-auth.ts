import type { FastifyRequest } from "fastify";
import type { JwtKeys } from "../../config/index.js";
import { isOpaqueApiKey } from "../../request/api-keys.js";
import { JwtError, verifyJwt } from "../../request/jwt.js";
import { verificationKeys } from "../../request/verification-keys.js";
import { AuthError, authError } from "./errors.js";
import { findUserAndSession } from "./sql/users.js";
import { gotrueTokenError } from "./token-errors.js";
import type { AuthRuntime, AuthUser } from "./types.js";

/** The signed-in caller of a `[user]` route. */
export interface TokenUser {
  readonly user: AuthUser;
  /** The `session_id` claim, or null for a token without one. */
  readonly sessionId: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
}

const BEARER = /^[Bb]earer (\S+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_SESSION = "00000000-0000-0000-0000-000000000000";
/** GoTrue's default admin roles (`GOTRUE_JWT_ADMIN_ROLES`). */
const ADMIN_ROLES = new Set(["service_role", "supabase_admin"]);

/**
 * The verified claims of the `Authorization: Bearer` token. GoTrue reads only that header (never
 * `apikey`): none is 401 `no_authorization`, a bad token 403 `bad_jwt`. The server verified the
 * credentials already (request.caller). An opaque API key, in `Authorization` or (with no
 * `Authorization`) in `apikey`, stands for the legacy key of its role, as the Supabase CLI's
 * gateway swaps it in before GoTrue sees the request.
 */
export async function bearerClaims(
  request: FastifyRequest,
  keys: JwtKeys,
): Promise<Readonly<Record<string, unknown>>> {
  const match = BEARER.exec(request.headers.authorization?.trim() ?? "");
  const caller = request.caller;
  const bearer = match ? (match[1] as string) : null;
  if (caller?.ok && caller.context.apiKey && (bearer === null || isOpaqueApiKey(bearer))) {
    return caller.context.claims;
  }
  if (bearer === null) throw authError("no_authorization");
  try {
    if (caller?.ok && caller.context.token === bearer) return caller.context.claims;
    if (caller && !caller.ok) throw caller.error;
    if (isOpaqueApiKey(bearer)) throw new JwtError("invalid_api_key");
    return await verifyJwt(bearer, verificationKeys(keys));
  } catch (error) {
    if (error instanceof JwtError) throw gotrueTokenError(error);
    throw error;
  }
}

/**
 * GoTrue's `requireAuthentication` for `[user]` routes: a valid token whose `sub` is an existing
 * user and whose `session_id` (when present) is a live session, else the 4xx of reference §5.
 */
export async function requireUser(runtime: AuthRuntime, request: FastifyRequest): Promise<TokenUser> {
  const claims = await bearerClaims(request, runtime.config.jwt);
  const sub = claims.sub;
  if (typeof sub !== "string" || sub === "") throw authError("bad_jwt", "invalid claim: missing sub claim");
  if (!UUID.test(sub)) throw authError("bad_jwt", "invalid claim: sub claim must be a UUID", 400);
  const sessionClaim = typeof claims.session_id === "string" ? claims.session_id : "";
  const sessionId = sessionClaim === "" || sessionClaim === NIL_SESSION ? null : sessionClaim;
  if (sessionId !== null && !UUID.test(sessionId)) {
    throw authError("bad_jwt", "invalid claim: session_id claim must be a UUID");
  }
  const found = await findUserAndSession(runtime.db.admin, sub, sessionId);
  if (!found) throw authError("user_not_found", "User from sub claim in JWT does not exist", 403);
  if (found.session === "missing") {
    throw new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist");
  }
  if (found.session === "expired") throw new AuthError(403, "session_expired", "Session is no longer valid");
  return { user: found.user, sessionId, claims };
}

/** `[admin]` routes: the bearer token's `role` must be `service_role` or `supabase_admin`. */
export async function requireAdmin(
  runtime: AuthRuntime,
  request: FastifyRequest,
): Promise<{ readonly role: string }> {
  const claims = await bearerClaims(request, runtime.config.jwt);
  const role = typeof claims.role === "string" ? claims.role : "";
  if (!ADMIN_ROLES.has(role)) throw authError("not_admin");
  return { role };
}

/** True when the caller of `[user]` routes holds an admin role (may set `app_metadata`). */
export function isAdminRole(role: unknown): boolean {
  return typeof role === "string" && ADMIN_ROLES.has(role);
}
