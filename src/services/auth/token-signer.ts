import { createHmac } from "node:crypto";
import { importJWK, type JWK, SignJWT } from "jose";
import type { JwtKeys, SigningKey } from "../../config/index.js";

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;
const imported = new WeakMap<SigningKey, Promise<PrivateKey>>();

/**
 * Signs an access token as GoTrue does: with the current key of `[auth] signing_keys_path`
 * (ES256/RS256, header `kid` so verifiers pick the key from the JWKS), or HS256 with the legacy
 * secret and no `kid` when no key set is configured.
 */
export async function signToken(claims: Record<string, unknown>, keys: JwtKeys): Promise<string> {
  const current = keys.signingKeys[0];
  if (!current) return signHs256(claims, keys.secret);
  let key = imported.get(current);
  if (!key) {
    // WebCrypto refuses a private key whose key_ops name "verify" (as the CLI writes them).
    const { key_ops: _ops, ext: _ext, ...jwk } = current.privateJwk;
    key = importJWK(jwk as JWK, current.alg);
    imported.set(current, key);
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: current.alg, kid: current.kid, typ: "JWT" })
    .sign(await key);
}

const HS256_HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

/** HS256 by hand: one HMAC, no key import, for the hot path of every sign-in and refresh. */
function signHs256(claims: Record<string, unknown>, secret: string): string {
  const signingInput = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}
