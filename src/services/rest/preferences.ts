import { pgrst } from "./errors.js";

/** The `Prefer` header, read as PostgREST reads it (reference §6.3): first occurrence wins. */
export interface Preferences {
  readonly return: "minimal" | "headers-only" | "representation" | null;
  readonly count: "exact" | "planned" | "estimated" | null;
  readonly resolution: "merge-duplicates" | "ignore-duplicates" | null;
  readonly missing: "default" | "null" | null;
  readonly handling: "strict" | "lenient" | null;
  readonly tx: "commit" | "rollback" | null;
  readonly timezone: string | null;
  readonly maxAffected: number | null;
  /** Preferences that were not understood (reported under handling=strict). */
  readonly invalid: readonly string[];
}

const VALUES: Readonly<Record<string, readonly string[]>> = {
  return: ["minimal", "headers-only", "representation"],
  count: ["exact", "planned", "estimated"],
  resolution: ["merge-duplicates", "ignore-duplicates"],
  missing: ["default", "null"],
  handling: ["strict", "lenient"],
  tx: ["commit", "rollback"],
};

/**
 * Parses every `Prefer` header. `timezone` is kept only when Postgres knows the name, `tx` only
 * when `db-tx-end` allows overriding; otherwise both count as invalid, as in PostgREST.
 */
export function parsePreferences(
  header: string | string[] | undefined,
  options: { readonly timezones: ReadonlySet<string>; readonly txOverride: boolean },
): Preferences {
  const parts = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  const found: Record<string, string> = {};
  const invalid: string[] = [];
  for (const part of parts) {
    const index = part.indexOf("=");
    const key = index < 0 ? part : part.slice(0, index).trim();
    const value = index < 0 ? "" : part.slice(index + 1).trim();
    if (key in found) continue;
    const allowed = VALUES[key];
    let valid = allowed ? allowed.includes(value) : false;
    if (key === "timezone") valid = options.timezones.has(value);
    if (key === "max-affected") valid = /^\d+$/.test(value);
    if (key === "tx" && !options.txOverride) valid = false;
    if (valid) found[key] = value;
    else invalid.push(part);
  }
  const preferences: Preferences = {
    return: (found.return as Preferences["return"]) ?? null,
    count: (found.count as Preferences["count"]) ?? null,
    resolution: (found.resolution as Preferences["resolution"]) ?? null,
    missing: (found.missing as Preferences["missing"]) ?? null,
    handling: (found.handling as Preferences["handling"]) ?? null,
    tx: (found.tx as Preferences["tx"]) ?? null,
    timezone: found.timezone ?? null,
    maxAffected: found["max-affected"] === undefined ? null : Number(found["max-affected"]),
    invalid,
  };
  if (preferences.handling === "strict" && invalid.length > 0) {
    throw pgrst(
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${invalid.join(", ")}`,
    );
  }
  return preferences;
}

/**
 * `Preference-Applied`, in PostgREST's order. `applied` says which of the preferences the
 * request actually used (e.g. `resolution` only on an upsert).
 */
export function preferenceApplied(
  prefs: Preferences,
  applied: { resolution?: boolean; missing?: boolean; return?: boolean; count?: boolean },
): string | null {
  const out: string[] = [];
  if (applied.resolution && prefs.resolution) out.push(`resolution=${prefs.resolution}`);
  if (applied.missing && prefs.missing) out.push(`missing=${prefs.missing}`);
  if (applied.return && prefs.return) out.push(`return=${prefs.return}`);
  if (applied.count && prefs.count) out.push(`count=${prefs.count}`);
  if (prefs.tx) out.push(`tx=${prefs.tx}`);
  if (prefs.handling) out.push(`handling=${prefs.handling}`);
  if (prefs.timezone) out.push(`timezone=${prefs.timezone}`);
  if (prefs.handling === "strict" && prefs.maxAffected !== null)
    out.push(`max-affected=${prefs.maxAffected}`);
  return out.length > 0 ? out.join(", ") : null;
}
