import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "./errors.js";
import type { KeyOptions } from "./jwt-keys.js";
import type { TableReader } from "./reader.js";
import type { SigningKey } from "./types.js";

/** Characters after the `sb_publishable_`/`sb_secret_` prefix a configured key must have. */
const MIN_KEY_BODY = 16;

/**
 * The keys beside the JWT secret: `[auth] signing_keys_path`, `publishable_key` and `secret_key`
 * from supabase/config.toml (as the Supabase CLI reads them), more opaque keys from
 * groundwork.toml `[auth] publishable_keys` / `secret_keys` or `GROUNDWORK_PUBLISHABLE_KEYS` /
 * `GROUNDWORK_SECRET_KEYS` (comma-separated), so a secret key can be revoked while another serves.
 */
export function readKeys(
  auth: TableReader,
  groundworkAuth: TableReader,
  projectDir: string,
  env: NodeJS.ProcessEnv,
): KeyOptions {
  const publishableKeys = opaqueKeys("publishable", [
    ...listFromEnv(env.GROUNDWORK_PUBLISHABLE_KEYS),
    ...optional(auth.optionalString("publishable_key")),
    ...groundworkAuth.stringList("publishable_keys", []),
  ]);
  const secretKeys = opaqueKeys("secret", [
    ...listFromEnv(env.GROUNDWORK_SECRET_KEYS),
    ...optional(auth.optionalString("secret_key")),
    ...groundworkAuth.stringList("secret_keys", []),
  ]);
  const configuredPath = auth.optionalString("signing_keys_path");
  if (configuredPath === null || configuredPath.trim() === "") {
    return { signingKeysPath: null, signingKeys: [], publishableKeys, secretKeys };
  }
  // The Supabase CLI resolves the path against the supabase/ folder.
  const signingKeysPath = path.resolve(projectDir, "supabase", configuredPath);
  return { signingKeysPath, signingKeys: readSigningKeys(signingKeysPath), publishableKeys, secretKeys };
}

function optional(value: string | null): string[] {
  return value === null || value.trim() === "" ? [] : [value.trim()];
}

function listFromEnv(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
}

function opaqueKeys(kind: "publishable" | "secret", keys: readonly string[]): string[] {
  const prefix = `sb_${kind}_`;
  for (const key of keys) {
    if (!key.startsWith(prefix) || key.length < prefix.length + MIN_KEY_BODY || /\s/.test(key)) {
      throw new ConfigError(
        "supabase/config.toml, groundwork.toml or the environment",
        `${kind} key`,
        `a key "${prefix}…" (groundwork gen api-keys makes one)`,
        // Never echo a secret back; its shape is enough to find it.
        `a value of ${key.length} characters starting ${JSON.stringify(key.slice(0, 3))}`,
      );
    }
  }
  return [...new Set(keys)];
}

/**
 * Reads a signing key file: a JSON array of private JWKs (as `supabase gen signing-key` writes),
 * or `{ "keys": [...] }`. The current key is the first whose `key_ops` allows `sign` (GoTrue's
 * rule); it is moved first. The others are standby or previous keys: published and trusted.
 */
export function readSigningKeys(file: string): SigningKey[] {
  if (!existsSync(file)) {
    throw new ConfigError("supabase/config.toml", "auth.signing_keys_path", "an existing JWK set file", file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, "(syntax)", "a JSON array of JWKs", (error as Error).message);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(file, "(keys)", "a non-empty JSON array of JWKs", "none");
  }
  const keys = list.map((jwk, index) => signingKey(file, index, jwk));
  const current = keys.findIndex((_, index) => canSign(list[index]));
  if (current < 0) {
    throw new ConfigError(file, "key_ops", 'one key whose key_ops include "sign"', "none");
  }
  const kids = new Set(keys.map((key) => key.kid));
  if (kids.size !== keys.length)
    throw new ConfigError(file, "kid", "a different kid on every key", "a repeated kid");
  return [keys[current] as SigningKey, ...keys.filter((_, index) => index !== current)];
}

function canSign(jwk: unknown): boolean {
  const ops = (jwk as { key_ops?: unknown }).key_ops;
  return !Array.isArray(ops) || ops.includes("sign");
}

const EC_FIELDS = ["crv", "x", "y", "d"] as const;
const RSA_FIELDS = ["n", "e", "d"] as const;

function signingKey(file: string, index: number, value: unknown): SigningKey {
  const fail = (expected: string, found: string): never => {
    throw new ConfigError(file, `[${index}]`, expected, found);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail("a JWK object", "another value");
  const jwk = value as Record<string, unknown>;
  const kid = jwk.kid;
  if (typeof kid !== "string" || kid === "") return fail('a "kid"', "none");
  let alg: SigningKey["alg"];
  let publicPart: Record<string, unknown>;
  if (jwk.kty === "EC") {
    alg = "ES256";
    if (jwk.crv !== "P-256") fail('"crv": "P-256" for ES256', JSON.stringify(jwk.crv));
    for (const field of EC_FIELDS)
      if (typeof jwk[field] !== "string") fail(`a private EC key with "${field}"`, "none");
    publicPart = { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
  } else if (jwk.kty === "RSA") {
    alg = "RS256";
    for (const field of RSA_FIELDS)
      if (typeof jwk[field] !== "string") fail(`a private RSA key with "${field}"`, "none");
    publicPart = { kty: "RSA", n: jwk.n, e: jwk.e };
  } else {
    return fail('"kty": "EC" (ES256) or "RSA" (RS256)', JSON.stringify(jwk.kty));
  }
  if (jwk.alg !== undefined && jwk.alg !== alg)
    fail(`"alg": "${alg}" for this key type`, JSON.stringify(jwk.alg));
  return {
    kid,
    alg,
    privateJwk: { ...jwk, alg },
    publicJwk: { ...publicPart, kid, alg, use: "sig", key_ops: ["verify"] },
  };
}
