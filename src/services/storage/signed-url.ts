import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { errors } from "./errors.js";

/** What a signed URL's token grants (reference/storage.md §7). */
export interface SignedToken {
  readonly url: string;
  readonly scope: "download" | "upload";
  readonly owner?: string;
  readonly upsert?: boolean;
  readonly transformations?: string;
}

const encoder = new TextEncoder();

/** Signs a token for `<bucket>/<path>` valid for `expiresIn` seconds. */
export async function signToken(secret: string, token: SignedToken, expiresIn: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...token })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(encoder.encode(secret));
}

/**
 * Verifies a signed URL token for the requested object, in Supabase's order: signature and
 * expiry (`InvalidJWT` with the verifier's words), scope, then the object it names.
 */
export async function verifyToken(
  secret: string,
  token: string | undefined,
  scope: SignedToken["scope"],
  url: string,
): Promise<SignedToken> {
  if (!token) throw errors.invalidSignature("Missing token");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ["HS256"] }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw errors.invalidJwt('"exp" claim timestamp check failed');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      throw errors.invalidJwt("signature verification failed");
    throw errors.invalidJwt();
  }
  if (payload.scope !== undefined && payload.scope !== scope) {
    throw errors.invalidSignature(`Token is not scoped for ${scope}`);
  }
  if (payload.url !== url) throw errors.invalidSignature();
  if (typeof payload.exp !== "number" || payload.exp * 1000 < Date.now()) throw errors.expiredToken();
  return payload as unknown as SignedToken;
}
