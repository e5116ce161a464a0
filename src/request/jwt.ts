import { errors as joseErrors, jwtVerify } from "jose";

/** A token that cannot be trusted, with PostgREST's code and message for it. */
export class JwtError extends Error {
  constructor(
    /** PGRST301: the token cannot be decoded or verified; PGRST303: its claims are invalid. */
    readonly code: "PGRST301" | "PGRST303",
    message: string,
  ) {
    super(message);
    this.name = "JwtError";
  }
}

/** PostgREST allows 30 s of clock skew on exp, nbf and iat. */
const CLOCK_SKEW_SECONDS = 30;

const keyCache = new Map<string, Uint8Array>();

function secretKey(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * Tokens that verified recently, so a client sending the same token on every request pays for
 * the HMAC once (PostgREST keeps such a cache too). Bounded in size and in age; an entry is
 * only used while the token's own `exp` (plus the clock skew) has not passed.
 */
const VERIFIED_CACHE_SIZE = 1000;
const VERIFIED_CACHE_MAX_AGE_MS = 60_000;
const verified = new Map<string, { claims: Readonly<Record<string, unknown>>; until: number }>();

function cached(key: string): Readonly<Record<string, unknown>> | null {
  const entry = verified.get(key);
  if (!entry) return null;
  if (Date.now() > entry.until) {
    verified.delete(key);
    return null;
  }
  return entry.claims;
}

function remember(key: string, claims: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const frozen = Object.freeze(claims);
  const expiry =
    typeof claims.exp === "number" ? (claims.exp + CLOCK_SKEW_SECONDS) * 1000 : Number.POSITIVE_INFINITY;
  if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
  verified.set(key, { claims: frozen, until: Math.min(expiry, Date.now() + VERIFIED_CACHE_MAX_AGE_MS) });
  return frozen;
}

/**
 * Verifies an HS256 token with the project secret and returns its claims (frozen). Failures
 * become {@link JwtError}s worded as PostgREST words them (reference/postgrest.md §10).
 */
export async function verifyJwt(token: string, secret: string): Promise<Readonly<Record<string, unknown>>> {
  const cacheKey = `${secret}\u0000${token}`;
  const hit = cached(cacheKey);
  if (hit) return hit;
  if (token === "") throw new JwtError("PGRST301", "Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw new JwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: ["HS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    throw translate(error);
  }
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new JwtError("PGRST303", "JWT issued at future");
  }
  return remember(cacheKey, payload);
}

function translate(error: unknown): JwtError {
  if (error instanceof joseErrors.JWTExpired) return new JwtError("PGRST303", "JWT expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" && error.reason === "check_failed")
      return new JwtError("PGRST303", "JWT not yet valid");
    if (["exp", "nbf", "iat"].includes(error.claim)) {
      return new JwtError("PGRST303", `The JWT '${error.claim}' claim must be a number`);
    }
    return new JwtError("PGRST303", "Parsing claims failed");
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new JwtError("PGRST301", "Wrong or unsupported encoding algorithm");
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new JwtError("PGRST301", "JWT cryptographic operation failed");
  }
  return new JwtError("PGRST301", "JWT couldn't be decoded");
}
