import type { IncomingMessage } from "node:http";
import type { JwtKeys } from "../../config/index.js";
import type { RequestContext } from "../../db/context.js";
import { type CallerRequest, resolveCaller } from "../../request/caller.js";

/** Who a socket or channel acts as, or why the credentials were refused (Realtime's wording). */
export type RealtimeCaller =
  | { readonly ok: true; readonly context: RequestContext; readonly expiresAt: number | null }
  | { readonly ok: false; readonly reason: CredentialRefusal; readonly message: string };

export type CredentialRefusal = "missing" | "expired" | "claims" | "invalid" | "signature";

/** The parts of the WebSocket upgrade request that become the caller's `request.headers`. */
export interface UpgradeInfo {
  readonly headers: IncomingMessage["headers"];
  readonly ip: string;
  readonly requestId: string;
}

/** Opaque API keys (`sb_publishable_…`, `sb_secret_…`): an `access_token` of this form means "the socket's key". */
export function isOpaqueKey(token: string): boolean {
  return token.startsWith("sb_");
}

/**
 * The caller for `apikey` (the socket's key) and an optional user token, through the server's one
 * caller resolution (request/caller.ts) — the same role and claims the data API would see for
 * these credentials. Realtime additionally requires `role` and `exp` in a JWT's claims.
 */
export async function realtimeCaller(
  keys: JwtKeys,
  upgrade: UpgradeInfo,
  apikey: string,
  accessToken: string | null,
): Promise<RealtimeCaller> {
  const token = accessToken ?? apikey;
  const headers: Record<string, string | string[] | undefined> = { ...upgrade.headers, apikey };
  headers.authorization = `Bearer ${token}`;
  // resolveCaller reads only these fields of a request; the upgrade is not a Fastify request.
  const requestLike: CallerRequest = {
    headers,
    method: "GET",
    ip: upgrade.ip,
    ips: undefined,
    id: upgrade.requestId,
  };
  const caller = await resolveCaller(requestLike, keys, "/websocket");
  if (!caller.ok) return refusalFor(caller.error);
  const claims = caller.context.claims;
  if (isOpaqueKey(token)) return { ok: true, context: caller.context, expiresAt: null };
  if (typeof claims.exp !== "number" || typeof claims.role !== "string" || claims.role === "") {
    return { ok: false, reason: "claims", message: "Fields `role` and `exp` are required in JWT" };
  }
  return { ok: true, context: caller.context, expiresAt: claims.exp * 1000 };
}

/** Words a token error the way Realtime does (its handshake and join messages). */
function refusalFor(error: Error & { reason?: string }): RealtimeCaller {
  const reason = error.reason ?? reasonFromMessage(error.message);
  switch (reason) {
    case "expired":
      return { ok: false, reason: "expired", message: "Token has expired" };
    case "bad_signature":
    case "signature":
      return { ok: false, reason: "signature", message: "Failed to validate JWT signature" };
    default:
      return { ok: false, reason: "invalid", message: "The token provided is not a valid JWT" };
  }
}

function reasonFromMessage(message: string): string {
  if (/expired/i.test(message)) return "expired";
  if (/cryptographic|signature/i.test(message)) return "signature";
  return "invalid";
}

/** "Token has expired N seconds ago", as Realtime words a join with an expired token. */
export function expiredMessage(expiresAt: number, now = Date.now()): string {
  return `Token has expired ${Math.max(0, Math.round((now - expiresAt) / 1000))} seconds ago`;
}
