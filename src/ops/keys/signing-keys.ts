import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";

/** A private JWK as `supabase gen signing-key` writes it. */
export type PrivateJwk = Record<string, unknown> & { kid: string; key_ops?: string[] };

export type SigningAlgorithm = "ES256" | "RS256";

/** A new private signing key: P-256 for ES256, 2048-bit RSA for RS256, a UUID `kid`. */
export async function generateSigningKey(algorithm: SigningAlgorithm): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  return {
    kid: randomUUID(),
    use: "sig",
    key_ops: ["sign", "verify"],
    alg: algorithm,
    ext: true,
    ...jwk,
  } as PrivateJwk;
}

/**
 * The key set file's lifecycle. The order says each key's part: the current (signing) key
 * first, then previous keys newest first, and standby keys (added with `append`) last. Only the
 * current key has `sign` in `key_ops`, as GoTrue requires of its key set.
 */
export function readKeySet(file: string): PrivateJwk[] {
  if (!existsSync(file)) return [];
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(list)) throw new Error(`${file} is not a JSON array of JWKs`);
  return list as PrivateJwk[];
}

/** Writes the set readable by its owner only (it holds private keys). */
export function writeKeySet(file: string, keys: readonly PrivateJwk[]): void {
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
}

/** Adds a standby key: published and trusted at once, signing only once promoted. */
export function appendStandby(keys: readonly PrivateJwk[], key: PrivateJwk): PrivateJwk[] {
  if (keys.length === 0) return [key];
  return [...keys, { ...key, key_ops: ["verify"] }];
}

/**
 * Rotation: the standby key `kid` (default: the one added last) becomes current and signs new
 * tokens; the current key becomes the newest previous key, still trusted so tokens it signed
 * stay valid until they expire.
 */
export function promote(keys: readonly PrivateJwk[], kid?: string): PrivateJwk[] {
  const [current, ...rest] = keys;
  if (!current) throw new Error("the key set is empty; generate a key first");
  const next = kid === undefined ? rest.at(-1) : rest.find((key) => key.kid === kid);
  if (!next) {
    throw new Error(
      kid === undefined ? "no standby key to promote; add one with --append" : `no other key has kid ${kid}`,
    );
  }
  return [
    { ...next, key_ops: ["sign", "verify"] },
    { ...current, key_ops: ["verify"] },
    ...rest.filter((key) => key !== next),
  ];
}

/** Revocation: drops a previous or standby key; tokens it signed stop verifying at once. */
export function revoke(keys: readonly PrivateJwk[], kid: string): PrivateJwk[] {
  if (keys[0]?.kid === kid) throw new Error(`${kid} is the current signing key; promote another key first`);
  if (!keys.some((key) => key.kid === kid)) throw new Error(`no key has kid ${kid}`);
  return keys.filter((key) => key.kid !== kid);
}
