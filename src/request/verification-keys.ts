import { importJWK, type JWK, type JWTHeaderParameters } from "jose";
import type { JwtKeys } from "../config/index.js";
import { JwtError } from "./jwt.js";

/** A key jose verifies with: the HS256 secret's bytes or an imported public key. */
type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * The keys every service verifies tokens with: the legacy HS256 secret plus the public keys of
 * the signing key set (current, standby and previous), looked up by the token's `kid`.
 */
export interface VerificationKeys {
  readonly algorithms: string[];
  keyFor(header: JWTHeaderParameters): Promise<VerifyKey>;
  readonly cache: VerifiedTokenCache;
}

const built = new WeakMap<object, VerificationKeys>();

/** The verification keys of a project's configuration, built once per configuration object. */
export function verificationKeys(
  keys: Pick<JwtKeys, "secret"> & Partial<Pick<JwtKeys, "signingKeys">>,
): VerificationKeys {
  let result = built.get(keys);
  if (!result) {
    result = buildKeys(keys.secret, keys.signingKeys ?? []);
    built.set(keys, result);
  }
  return result;
}

function buildKeys(secret: string, signingKeys: NonNullable<JwtKeys["signingKeys"]>): VerificationKeys {
  const secretBytes = new TextEncoder().encode(secret);
  const imported = new Map<string, Promise<VerifyKey>>();
  const publicKey = (kid: string, alg: string, jwk: Readonly<Record<string, unknown>>) => {
    let key = imported.get(kid);
    if (!key) {
      key = importJWK(jwk as JWK, alg);
      imported.set(kid, key);
    }
    return key;
  };
  const algorithms = ["HS256", ...new Set(signingKeys.map((key) => key.alg))];
  return {
    algorithms,
    cache: new VerifiedTokenCache(),
    async keyFor(header) {
      if (header.alg === "HS256") return secretBytes;
      // A token without `kid` is checked against the one key of its algorithm, if there is one.
      const candidates = signingKeys.filter(
        (key) => key.alg === header.alg && (header.kid === undefined || key.kid === header.kid),
      );
      const match = candidates.length === 1 ? candidates[0] : undefined;
      if (!match) throw new JwtError("bad_signature");
      return publicKey(match.kid, match.alg, match.publicJwk);
    },
  };
}

/** Tokens kept verified at most this long, and this many at once. */
const CACHE_SIZE = 1000;
const CACHE_MAX_AGE_MS = 60_000;

/**
 * Tokens that verified recently. Bounded in size and in age; an entry is only used while the
 * token's own `exp` (plus the clock skew) has not passed.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { claims: Readonly<Record<string, unknown>>; until: number }>();

  get(token: string): Readonly<Record<string, unknown>> | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    if (Date.now() > entry.until) {
      this.entries.delete(token);
      return null;
    }
    return entry.claims;
  }

  remember(
    token: string,
    claims: Record<string, unknown>,
    skewSeconds: number,
  ): Readonly<Record<string, unknown>> {
    const frozen = Object.freeze(claims);
    const expiry =
      typeof claims.exp === "number" ? (claims.exp + skewSeconds) * 1000 : Number.POSITIVE_INFINITY;
    if (this.entries.size >= CACHE_SIZE) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { claims: frozen, until: Math.min(expiry, Date.now() + CACHE_MAX_AGE_MS) });
    return frozen;
  }
}
