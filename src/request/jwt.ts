import { type JWTHeaderParameters, errors as joseErrors, jwtVerify } from "jose";
import type { VerificationKeys } from "./verification-keys.js";

/**
 * Why a token or API key was refused, independent of any wire protocol. Each service's error
 * catalogue words it in its own protocol: PostgREST's PGRST301/PGRST303 (services/rest), GoTrue's
 * `bad_jwt` (services/auth); Storage and Realtime word it their own way.
 *
 * - `missing`: an empty token (`Authorization: Bearer ` with nothing after it).
 * - `malformed`: not three base64url segments of JSON (`segments` says how many there were).
 * - `bad_algorithm`: an algorithm this project does not accept (`none`, HS512, ES256 with no key set).
 * - `bad_signature`: the signature does not verify, or no key of the set has the token's `kid`.
 * - `expired`: `exp` is past (30 s of clock skew allowed).
 * - `not_yet_valid`: `nbf` is in the future.
 * - `issued_in_future`: `iat` is in the future.
 * - `invalid_claims`: a registered claim of the wrong type (`claim` names it), or claims that are
 *   not a JSON object.
 * - `invalid_api_key`: an opaque `sb_publishable_…`/`sb_secret_…` key that is not one of this
 *   project's (revoked, mistyped, another project's).
 */
export type TokenErrorReason =
  | "missing"
  | "malformed"
  | "bad_algorithm"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "invalid_claims"
  | "invalid_api_key";

/** Details some protocols put in their wording. */
export interface TokenErrorDetail {
  /** For `malformed`: how many dot-separated segments the token had. */
  readonly segments?: number;
  /** For `invalid_claims`: the claim at fault (`exp`, `nbf`, `iat`), when one is. */
  readonly claim?: string;
}

/** A token or API key that cannot be trusted, with the protocol-neutral reason. */
export class JwtError extends Error {
  constructor(
    readonly reason: TokenErrorReason,
    readonly detail: TokenErrorDetail = {},
  ) {
    super(`untrusted token: ${reason}`);
    this.name = "JwtError";
  }
}

/** PostgREST and GoTrue allow 30 s of clock skew on exp, nbf and iat. */
const CLOCK_SKEW_SECONDS = 30;

/**
 * Verifies a token against the project's keys: HS256 with the legacy secret, ES256/RS256 with the
 * public key of the signing key set whose `kid` the token names. Returns its claims (frozen).
 * Tokens that verified recently come from the keys' cache, so a client sending the same token on
 * every request pays for the signature once (PostgREST keeps such a cache too).
 */
export async function verifyJwt(
  token: string,
  keys: VerificationKeys,
): Promise<Readonly<Record<string, unknown>>> {
  const hit = keys.cache.get(token);
  if (hit) return hit;
  if (token === "") throw new JwtError("missing");
  const segments = token.split(".").length;
  if (segments !== 3) throw new JwtError("malformed", { segments });
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => keys.keyFor(header), {
      algorithms: keys.algorithms,
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    throw translate(error);
  }
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new JwtError("issued_in_future");
  }
  return keys.cache.remember(token, payload, CLOCK_SKEW_SECONDS);
}

function translate(error: unknown): JwtError {
  if (error instanceof JwtError) return error;
  if (error instanceof joseErrors.JWTExpired) return new JwtError("expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" && error.reason === "check_failed") return new JwtError("not_yet_valid");
    if (["exp", "nbf", "iat"].includes(error.claim))
      return new JwtError("invalid_claims", { claim: error.claim });
    return new JwtError("invalid_claims");
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new JwtError("bad_algorithm");
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return new JwtError("bad_signature");
  }
  return new JwtError("malformed", { segments: 3 });
}
