import type { JwtKeys } from "../../config/index.js";
import { JwtError, verifyJwt } from "../../request/jwt.js";
import { RELAY_ERRORS, type RelayError } from "./errors.js";

/**
 * verify_jwt as the Supabase CLI's relay checks it: an `Authorization: Bearer <token>` header
 * (the scheme spelled exactly so) whose token is a valid project JWT of any role. The function
 * then sees the header unchanged. Returns the relay's 401 answer, or null when the call may go on.
 */
export async function checkJwt(authorization: string | undefined, keys: JwtKeys): Promise<RelayError | null> {
  if (authorization === undefined || authorization === "") return RELAY_ERRORS.missingAuthorization;
  const [scheme, token] = authorization.split(" ");
  if (scheme !== "Bearer") return RELAY_ERRORS.notBearer;
  try {
    await verifyJwt(token ?? "", keys.secret);
    return null;
  } catch (error) {
    if (error instanceof JwtError) return RELAY_ERRORS.invalidJwt;
    throw error;
  }
}
