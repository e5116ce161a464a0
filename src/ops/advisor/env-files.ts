import { type Dirent, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { maskSecrets } from "../../db/database-url.js";

/**
 * Prefixes that front-end build tools compile into the browser bundle (Vite, Next.js, Expo,
 * SvelteKit/Astro, Create React App, Nuxt, Gatsby, Vue CLI): whatever such a variable holds is
 * public.
 */
export const CLIENT_PREFIXES = [
  "VITE_",
  "NEXT_PUBLIC_",
  "EXPO_PUBLIC_",
  "PUBLIC_",
  "REACT_APP_",
  "NUXT_PUBLIC_",
  "GATSBY_",
  "VUE_APP_",
] as const;

/** Folders never searched: dependencies, build output, Groundwork's state, server-side function code. */
const SKIPPED_DIRS = new Set([
  "node_modules",
  ".git",
  ".groundwork",
  "dist",
  "build",
  ".next",
  "coverage",
  "supabase",
]);
const MAX_DEPTH = 3;

/** One variable of an env file. */
export interface EnvEntry {
  /** Path relative to the project folder. */
  readonly file: string;
  readonly line: number;
  readonly key: string;
  readonly value: string;
}

/** What kind of secret a client-side variable holds. */
export type SecretKind =
  | "service_role key"
  | "JWT secret"
  | "database URL with a password"
  | "database password";

/** `.env` and `.env.*` files in the project folder and up to three folders down, sorted. */
export function findEnvFiles(projectDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED_DIRS.has(entry.name)) walk(full, depth + 1);
      } else if (entry.isFile() && /^\.env(\..+)?$/.test(entry.name)) {
        found.push(path.relative(projectDir, full));
      }
    }
  };
  walk(projectDir, 0);
  return found.sort();
}

/** The variables of an env file: `KEY=value`, `export KEY=value`, quoted values, `#` comments. */
export function parseEnvFile(file: string, text: string): EnvEntry[] {
  const entries: EnvEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(raw);
    if (!match) return;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === "`") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    entries.push({ file, line: index + 1, key: match[1] as string, value });
  });
  return entries;
}

/** The client prefix of a variable name, or null for a server-side variable. */
export function clientPrefix(key: string): string | null {
  return CLIENT_PREFIXES.find((prefix) => key.startsWith(prefix)) ?? null;
}

/**
 * What secret a value holds, judged by its content first (a JWT whose role is service_role, a
 * Supabase secret key, the project's JWT secret, a postgres URL with a password) and then by its
 * name (`*SERVICE_ROLE*`, `*JWT_SECRET*`, `*PASSWORD*`). Null when it looks public.
 */
export function secretKind(key: string, value: string, jwtSecret: string): SecretKind | null {
  if (value === "") return null;
  if (jwtRole(value) === "service_role" || value.startsWith("sb_secret_")) return "service_role key";
  if (value === jwtSecret) return "JWT secret";
  if (postgresPassword(value) !== null) return "database URL with a password";
  const name = key.toUpperCase();
  if (name.includes("SERVICE_ROLE")) return "service_role key";
  if (name.includes("JWT_SECRET")) return "JWT secret";
  if (name.includes("PASSWORD")) return "database password";
  return null;
}

/** A value as it may be printed: URLs with the password masked, anything else cut to a hint. */
export function maskValue(value: string, kind: SecretKind): string {
  if (kind === "database URL with a password") return maskSecrets(value);
  if (kind === "service_role key" && value.length > 16) return `${value.slice(0, 6)}…`;
  return "****";
}

/** Reads every env file of the project (unreadable files are skipped). */
export function readEnvEntries(projectDir: string): EnvEntry[] {
  return findEnvFiles(projectDir).flatMap((file) => {
    try {
      return parseEnvFile(file, readFileSync(path.join(projectDir, file), "utf8"));
    } catch {
      return [];
    }
  });
}

function jwtRole(value: string): string | null {
  const parts = value.split(".");
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8")) as unknown;
    return typeof payload === "object" &&
      payload !== null &&
      "role" in payload &&
      typeof payload.role === "string"
      ? payload.role
      : null;
  } catch {
    return null;
  }
}

function postgresPassword(value: string): string | null {
  if (!/^postgres(ql)?:\/\//i.test(value)) return null;
  try {
    const password = new URL(value).password;
    return password === "" ? null : password;
  } catch {
    return null;
  }
}
