import type { JwtError } from "../../request/jwt.js";
import { AuthError, authError } from "./errors.js";

/** golang-jwt's words for each reason, as GoTrue puts them after its `bad_jwt` prefix. */
const GOTRUE_REASONS = {
  missing: "token is malformed: token contains an invalid number of segments",
  malformed: "token is malformed: could not JSON decode the token",
  bad_algorithm: "token signature is invalid: signing method is invalid",
  bad_signature: "token signature is invalid: signature is invalid",
  expired: "token has invalid claims: token is expired",
  not_yet_valid: "token has invalid claims: token is not valid yet",
  issued_in_future: "token has invalid claims: token used before issued",
  invalid_claims: "token is malformed: could not JSON decode the token",
  invalid_api_key: "",
} as const satisfies Record<JwtError["reason"], string>;

/**
 * A refused token in GoTrue's terms: 403 `bad_jwt` with golang-jwt's reason. An unknown opaque
 * API key is refused as Supabase's API gateway refuses it, 401 "Invalid API key".
 */
export function gotrueTokenError(error: JwtError): AuthError {
  if (error.reason === "invalid_api_key") return new AuthError(401, "no_authorization", "Invalid API key");
  const reason =
    error.reason === "malformed" && error.detail.segments !== 3
      ? "token is malformed: token contains an invalid number of segments"
      : GOTRUE_REASONS[error.reason];
  return authError("bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
}
