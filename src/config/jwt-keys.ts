import type { JwtKeys, SigningKey } from "./types.js";

/** The Supabase CLI's well-known local JWT secret; refused on non-loopback addresses. */
export const WELL_KNOWN_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** The Supabase CLI's local API keys, signed with the well-known secret (iss supabase-demo). */
export const WELL_KNOWN_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
export const WELL_KNOWN_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

/** The Supabase CLI's fixed local opaque API keys (`supabase status -o env`: PUBLISHABLE_KEY, SECRET_KEY). */
export const WELL_KNOWN_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const WELL_KNOWN_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/** Expiry of derived API keys: the instant the Supabase CLI's local keys use, so keys are stable. */
const API_KEY_EXP = 1983812996;

/** Signs a long-lived API key whose one meaningful claim is its role. Deterministic for a secret. */
export async function signApiKey(secret: string, role: "anon" | "service_role"): Promise<string> {
  // Loaded here: most projects keep the well-known secret, and every CLI command reads config.
  const { SignJWT } = await import("jose");
  return new SignJWT({ iss: "supabase-demo", role, exp: API_KEY_EXP })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

/** What the project configures beside the secret; see keys-section.ts. */
export interface KeyOptions {
  readonly signingKeysPath?: string | null;
  readonly signingKeys?: readonly SigningKey[];
  readonly publishableKeys?: readonly string[];
  readonly secretKeys?: readonly string[];
}

/**
 * The secret, the legacy API keys and the opaque keys for a project: the well-known ones unless
 * a secret is configured; the CLI's fixed opaque pair unless opaque keys are configured.
 */
export async function jwtKeysFor(secret: string | null, options: KeyOptions = {}): Promise<JwtKeys> {
  const wellKnown = secret === null || secret === WELL_KNOWN_JWT_SECRET;
  const configured = (options.publishableKeys?.length ?? 0) + (options.secretKeys?.length ?? 0) > 0;
  const publishableKeys = configured ? (options.publishableKeys ?? []) : [WELL_KNOWN_PUBLISHABLE_KEY];
  const secretKeys = configured ? (options.secretKeys ?? []) : [WELL_KNOWN_SECRET_KEY];
  const effectiveSecret = wellKnown ? WELL_KNOWN_JWT_SECRET : secret;
  return {
    secret: effectiveSecret,
    anonKey: wellKnown ? WELL_KNOWN_ANON_KEY : await signApiKey(effectiveSecret, "anon"),
    serviceRoleKey: wellKnown
      ? WELL_KNOWN_SERVICE_ROLE_KEY
      : await signApiKey(effectiveSecret, "service_role"),
    isWellKnownSecret: wellKnown,
    signingKeysPath: options.signingKeysPath ?? null,
    signingKeys: options.signingKeys ?? [],
    publishableKeys,
    secretKeys,
    isWellKnownApiKeys:
      publishableKeys.includes(WELL_KNOWN_PUBLISHABLE_KEY) || secretKeys.includes(WELL_KNOWN_SECRET_KEY),
  };
}
