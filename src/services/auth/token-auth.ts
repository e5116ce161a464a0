import type { FastifyRequest } from "fastify";
import { JwtError, verifyJwt } from "../../request/jwt.js";
import { AuthError, authError } from "./errors.js";
import { findUserAndSession } from "./sql/users.js";
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
 * token already (request.caller); its PostgREST-worded reason is reworded as GoTrue's.
 */
export async function bearerClaims(
  request: FastifyRequest,
  secret: string,
): Promise<Readonly<Record<string, unknown>>> {
  const match = BEARER.exec(request.headers.authorization?.trim() ?? "");
  if (!match) throw authError("no_authorization");
  const token = match[1] as string;
  const caller = request.caller;
  try {
    if (caller?.ok && caller.context.token === token) return caller.context.claims;
    if (caller && !caller.ok) throw caller.error;
    return await verifyJwt(token, secret);
  } catch (error) {
    if (error instanceof JwtError) {
      throw authError("bad_jwt", `invalid JWT: unable to parse or verify signature, ${gotrueReason(error)}`);
    }
    throw error;
  }
}

/** GoTrue (golang-jwt) words for the reasons `verifyJwt` reports. */
function gotrueReason(error: JwtError): string {
  switch (error.message) {
    case "JWT expired":
      return "token has invalid claims: token is expired";
    case "JWT not yet valid":
      return "token has invalid claims: token is not valid yet";
    case "JWT issued at future":
      return "token has invalid claims: token used before issued";
    case "JWT cryptographic operation failed":
      return "token signature is invalid: signature is invalid";
    case "Wrong or unsupported encoding algorithm":
      return "token signature is invalid: signing method is invalid";
    default:
      return error.message.startsWith("Expected 3 parts")
        ? "token is malformed: token contains an invalid number of segments"
        : "token is malformed: could not JSON decode the token";
  }
}

/**
 * GoTrue's `requireAuthentication` for `[user]` routes: a valid token whose `sub` is an existing
 * user and whose `session_id` (when present) is a live session, else the 4xx of reference §5.
 */
export async function requireUser(runtime: AuthRuntime, request: FastifyRequest): Promise<TokenUser> {
  const claims = await bearerClaims(request, runtime.config.jwt.secret);
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
  const claims = await bearerClaims(request, runtime.config.jwt.secret);
  const role = typeof claims.role === "string" ? claims.role : "";
  if (!ADMIN_ROLES.has(role)) throw authError("not_admin");
  return { role };
}

/** True when the caller of `[user]` routes holds an admin role (may set `app_metadata`). */
export function isAdminRole(role: unknown): boolean {
  return typeof role === "string" && ADMIN_ROLES.has(role);
}
