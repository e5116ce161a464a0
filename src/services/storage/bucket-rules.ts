import { errors } from "./errors.js";

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/**
 * A bucket's `file_size_limit` as given to create/update: bytes as a number, or a string such as
 * `"20MB"` (Supabase's units: B, KB, MB, GB, powers of 1024). null/undefined pass through.
 */
export function parseFileSizeLimit(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw errors.invalidFileSizeLimit();
    return value;
  }
  if (typeof value !== "string") throw errors.invalidFileSizeLimit();
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$/i.exec(value);
  if (!match) throw errors.invalidFileSizeLimit();
  const bytes = Math.floor(Number(match[1]) * (SIZE_UNITS[(match[2] ?? "B").toUpperCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw errors.invalidFileSizeLimit();
  return bytes;
}

/** Longest retention a bucket may ask for (about 100 years): keeps `now() + days` in range. */
const MAX_SOFT_DELETE_DAYS = 36_500;

/**
 * Groundwork's `soft_delete_days` as given to create/update (docs/storage.md, "Soft delete"):
 * whole days, 0 or null for none; undefined when absent (left as it is).
 */
export function parseSoftDeleteDays(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > MAX_SOFT_DELETE_DAYS)
    throw errors.invalidParameter("soft_delete_days");
  return value;
}

const MIME_PATTERN = /^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+|\*)(;\s*charset=[a-zA-Z0-9-]+)?$/;

/** Checks `allowed_mime_types` entries as Supabase does (`type/subtype` or `type/*`). */
export function parseAllowedMimeTypes(value: unknown): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value)) throw errors.invalidRequest("allowed_mime_types must be an array of strings");
  for (const entry of value) {
    if (typeof entry !== "string" || entry.length > 1000 || !MIME_PATTERN.test(entry)) {
      throw errors.invalidMimeType(String(entry));
    }
  }
  return value.length === 0 ? null : (value as string[]);
}

/**
 * True when a mime type is allowed by a bucket's list: exact `type/subtype` or `type/*`
 * (parameters such as `;charset=utf-8` are ignored). No list allows everything.
 */
export function mimeTypeAllowed(mimeType: string, allowed: readonly string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true;
  const [type, subtype] = essence(mimeType).split("/");
  if (!type || !subtype) return false;
  return allowed.some((entry) => {
    const [allowedType, allowedSubtype] = essence(entry).split("/");
    return allowedType === type && (allowedSubtype === "*" || allowedSubtype === subtype);
  });
}

/** `Text/Plain; charset=UTF-8` -> `text/plain`. */
export function essence(mimeType: string): string {
  return (mimeType.split(";")[0] ?? "").trim().toLowerCase();
}
