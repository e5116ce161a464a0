import { createHash } from "node:crypto";

/**
 * The stored form of an object name: its SHA-256 in hex. Names of any length or script map to
 * short, safe file names and S3 keys, and no name can reach outside its bucket. Backends list
 * keys in this form, so the sweep compares by hash.
 */
export function hashedName(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}
