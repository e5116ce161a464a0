import { errors } from "./errors.js";

/** Longest object name accepted, in bytes of UTF-8 (S3's key limit). */
export const MAX_KEY_BYTES = 1024;

// Supabase Storage allows S3-safe ASCII only; Groundwork also lets printable text of any script
// through (accents, CJK, symbols, emoji), which its backends store under hashed names. Refused:
// control, unassigned and private-use characters, invisible format characters other than the
// emoji joiner (bidi overrides spoof names), the backslash and the characters S3 asks to avoid.
const BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]+$/u;
const REFUSED_IN_KEY = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\\{}^%`[\]"<>~#|]|(?!\u200d)\p{Cf}/u;

/** True for a bucket id Supabase accepts: 1–100 S3-safe characters. */
export function isValidBucketName(name: string): boolean {
  return name.length > 0 && name.length <= 100 && BUCKET_NAME.test(name) && name !== "." && name !== "..";
}

/** Throws `InvalidBucketName` unless {@link isValidBucketName}. */
export function mustBeValidBucketName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !isValidBucketName(name)) throw errors.invalidBucketName();
}

/**
 * Throws `InvalidKey` for a name that could escape its bucket or confuse folders: empty, over
 * 1024 bytes, a leading `/`, an empty, `.` or `..` segment, a backslash, a control character or
 * NUL, or a character outside the allowed set. Names arrive already URL-decoded, so `%2e%2e`
 * is checked as `..`.
 */
export function mustBeValidKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || !isValidKey(key))
    throw errors.invalidKey(typeof key === "string" ? key : "");
}

export function isValidKey(key: string): boolean {
  if (key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) return false;
  if (REFUSED_IN_KEY.test(key)) return false;
  return key.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/**
 * The object name of a request path's tail, as storage-js builds it (one leading and trailing
 * `/` removed, runs of `/` collapsed) and URL-decoded once; null when it does not decode.
 */
export function objectNameFromPath(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return decoded.replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
}
