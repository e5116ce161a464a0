import type { JwtKeys } from "../../config/index.js";
import { apiKeyCaller, isOpaqueApiKey } from "../../request/api-keys.js";
import { JwtError, verifyJwt } from "../../request/jwt.js";
import { verificationKeys } from "../../request/verification-keys.js";
import { RELAY_ERRORS, type RelayError } from "./errors.js";

/**
 * verify_jwt as the Supabase CLI's relay checks it: an `Authorization: Bearer <token>` header
 * (the scheme spelled exactly so) whose token is a valid project JWT of any role (HS256 with the
 * secret, or ES256/RS256 with the signing keys). This project's opaque keys
 * (`sb_publishable_…`/`sb_secret_…`) pass too, as Supabase's gateway maps them: as the Bearer
 * token (what supabase-js sends without a session) or, with no Authorization, in `apikey`. The function
 * sees the headers unchanged. Returns the relay's 401 answer, or null when the call may go on.
 */
export async function checkJwt(
  authorization: string | undefined,
  apikey: string | string[] | undefined,
  keys: JwtKeys,
): Promise<RelayError | null> {
  if (authorization === undefined || authorization === "") {
    const key = Array.isArray(apikey) ? apikey[0] : apikey;
    if (key !== undefined && isOpaqueApiKey(key) && apiKeyCaller(key, keys) !== null) return null;
    return RELAY_ERRORS.missingAuthorization;
  }
  const [scheme, token] = authorization.split(" ");
  if (scheme !== "Bearer") return RELAY_ERRORS.notBearer;
  if (token !== undefined && isOpaqueApiKey(token)) {
    return apiKeyCaller(token, keys) === null ? RELAY_ERRORS.invalidJwt : null;
  }
  try {
    await verifyJwt(token ?? "", verificationKeys(keys));
    return null;
  } catch (error) {
    if (error instanceof JwtError) return RELAY_ERRORS.invalidJwt;
    throw error;
  }
}
