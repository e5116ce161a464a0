import { createHash, randomBytes } from "node:crypto";

/**
 * A new opaque API key in Supabase's shape: `sb_publishable_` or `sb_secret_`, 22 characters of
 * base64url randomness (128 bits), `_`, and an 8-character checksum that catches a mistyped key.
 */
export function generateApiKey(kind: "publishable" | "secret"): string {
  const prefix = `sb_${kind}_`;
  const body = randomBytes(16).toString("base64url");
  const checksum = createHash("sha256").update(`${prefix}${body}`).digest("base64url").slice(0, 8);
  return `${prefix}${body}_${checksum}`;
}
