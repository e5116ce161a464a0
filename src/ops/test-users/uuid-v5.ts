import { createHash } from "node:crypto";

/** RFC 4122's DNS namespace, `uuid_ns_dns()` in uuid-ossp. */
export const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

/**
 * A name-based (SHA-1) UUID, equal to uuid-ossp's `uuid_generate_v5(namespace, name)`, so ids made
 * here match those a seed.sql makes with it (test users are `uuid_v5(uuid_ns_dns(), email)`).
 */
export function uuidV5(name: string, namespace = NAMESPACE_DNS): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
