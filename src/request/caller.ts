import type { FastifyRequest } from "fastify";
import type { JwtKeys } from "../config/index.js";
import type { RequestContext } from "../db/context.js";
import { type ApiKeyKind, apiKeyCaller, isOpaqueApiKey } from "./api-keys.js";
import { JwtError, verifyJwt } from "./jwt.js";
import { verificationKeys } from "./verification-keys.js";

/** The caller of one request: a context to run SQL with, or why the credentials were refused. */
export type Caller =
  | { readonly ok: true; readonly context: RequestContext }
  | { readonly ok: false; readonly error: JwtError };

const ANON_ROLE = "anon";

/** Who a set of credentials stands for: role, verified claims, the token services pass on. */
export interface Credentials {
  readonly role: string;
  /** The verified claims with `role` set to {@link role}. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The JWT the credentials amount to (for an opaque key, the legacy key of its role), or null. */
  readonly token: string | null;
  /** Set when the role came from an opaque API key. */
  readonly apiKey?: ApiKeyKind;
}

/**
 * Turns a bearer token and an API key into a role and claims, as the Supabase CLI's API gateway
 * decides: a JWT bearer wins; otherwise the API key (which supabase-js always sends), then an
 * opaque key given as bearer. An opaque key maps to its role (publishable: `anon`, secret:
 * `service_role`); a JWT is verified against the secret and the signing key set. Nothing means
 * `anon`. Services reached without HTTP headers (a WebSocket's `apikey` query parameter, a
 * realtime `access_token` message) call this directly.
 */
export function resolveCredentials(
  bearer: string | null,
  key: string | null,
  keys: JwtKeys,
): Promise<Credentials | JwtError> {
  const known = knownCredentials(bearer, key, keys);
  return known !== undefined ? Promise.resolve(known) : verifiedCredentials(credentialOf(bearer, key), keys);
}

/** A JWT bearer wins; otherwise the API key, then an opaque key given as bearer. */
function credentialOf(bearer: string | null, key: string | null): string | null {
  return bearer !== null && !isOpaqueApiKey(bearer) ? bearer : (key ?? bearer);
}

/**
 * The credentials when they can be told without verifying a signature: nothing (anon), an
 * opaque key, or a JWT that verified recently (the keys' cache). Undefined otherwise. Kept
 * synchronous so that a request whose token is cached costs no promise.
 */
function knownCredentials(
  bearer: string | null,
  key: string | null,
  keys: JwtKeys,
): Credentials | JwtError | undefined {
  const credential = credentialOf(bearer, key);
  if (credential === null) return credentialsOf(EMPTY_CLAIMS, null);
  if (isOpaqueApiKey(credential)) {
    const mapped = apiKeyCaller(credential, keys);
    return mapped ? credentialsOf(mapped.claims, mapped.token, mapped.kind) : new JwtError("invalid_api_key");
  }
  const cached = verificationKeys(keys).cache.get(credential);
  return cached === null ? undefined : credentialsOf(cached, credential);
}

async function verifiedCredentials(token: string | null, keys: JwtKeys): Promise<Credentials | JwtError> {
  try {
    return credentialsOf(await verifyJwt(token ?? "", verificationKeys(keys)), token);
  } catch (error) {
    if (error instanceof JwtError) return error;
    throw error;
  }
}

const EMPTY_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({});

function credentialsOf(
  claims: Readonly<Record<string, unknown>>,
  token: string | null,
  apiKey?: ApiKeyKind,
): Credentials {
  const role = typeof claims.role === "string" && claims.role !== "" ? claims.role : ANON_ROLE;
  // Verified claims are frozen and shared: copied only when `role` has to be filled in.
  const withRole =
    claims.role === role && Object.isFrozen(claims) ? claims : Object.freeze({ ...claims, role });
  return apiKey === undefined ? { role, claims: withRole, token } : { role, claims: withRole, token, apiKey };
}

/**
 * Builds the caller of an HTTP request from `Authorization: Bearer` and the `apikey` header
 * ({@link resolveCredentials}). This is the one place where a request's credentials become a role
 * and claims.
 */
export function resolveCaller(
  request: CallerRequest,
  keys: JwtKeys,
  servicePath: string,
): Caller | Promise<Caller> {
  const bearer = bearerToken(request.headers.authorization);
  const key = apiKey(request.headers.apikey);
  const known = knownCredentials(bearer, key, keys);
  if (known !== undefined) return callerOf(request, known, servicePath);
  return verifiedCredentials(credentialOf(bearer, key), keys).then((credentials) =>
    callerOf(request, credentials, servicePath),
  );
}

/** What {@link resolveCaller} reads of a request (a WebSocket upgrade passes the same fields). */
export type CallerRequest = Pick<FastifyRequest, "headers" | "method" | "id" | "ip" | "ips">;

function callerOf(request: CallerRequest, credentials: Credentials | JwtError, servicePath: string): Caller {
  if (credentials instanceof JwtError) return { ok: false, error: credentials };
  // Spelled out rather than spread: V8 builds `{ ...object, more }` on a slow path.
  const context: RequestContext = {
    role: credentials.role,
    claims: credentials.claims,
    token: credentials.token,
    headers: headersForDatabase(request),
    cookies: parseCookies(request.headers.cookie),
    method: request.method,
    path: servicePath,
    requestId: request.id,
  };
  if (credentials.apiKey !== undefined) (context as { apiKey?: ApiKeyKind }).apiKey = credentials.apiKey;
  return { ok: true, context };
}

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^bearer\s+(.*)$/i.exec(header.trim());
  return match ? (match[1] ?? "").trim() : null;
}

function apiKey(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.trim() : null;
}

/** Header names lower-cased, `cookie` left out (PostgREST passes cookies separately). */
function headersForDatabase(request: CallerRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === "cookie" || value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  // Policies and the audit trail read the client address from here: the chain as far as it comes
  // through trusted proxies ([api] trusted_proxies), starting with the client, never an address
  // the client wrote itself.
  headers["x-forwarded-for"] = forwardedFor(request);
  return headers;
}

/** `client, proxy1, ...`: request.ips holds the socket address, then each trusted hop back to the client. */
function forwardedFor(request: CallerRequest): string {
  const ips = request.ips;
  return ips !== undefined && ips.length > 1 ? ips.slice(1).reverse().join(", ") : request.ip;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    const raw = part.slice(index + 1).trim();
    try {
      cookies[name] = decodeURIComponent(raw);
    } catch {
      cookies[name] = raw;
    }
  }
  return cookies;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the server for every request before its handler runs; see {@link requireContext}. */
    caller: Caller | null;
  }
}

/**
 * The caller's context, or the credential error thrown for the service's own error renderer to
 * word (PostgREST, GoTrue and Storage each have their own error body).
 */
export function requireContext(request: FastifyRequest): RequestContext {
  const caller = request.caller;
  if (caller === null)
    throw new Error("the caller was not resolved: registerCaller() must run before the routes");
  if (!caller.ok) throw caller.error;
  return caller.context;
}
