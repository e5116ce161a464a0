import { SignJWT } from "jose";
import type { JwtKeys } from "./types.js";

/** The Supabase CLI's well-known local JWT secret; refused on non-loopback addresses. */
export const WELL_KNOWN_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** The Supabase CLI's local API keys, signed with the well-known secret (iss supabase-demo). */
export const WELL_KNOWN_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
export const WELL_KNOWN_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

/** Expiry of derived API keys: the instant the Supabase CLI's local keys use, so keys are stable. */
const API_KEY_EXP = 1983812996;

/** Signs a long-lived API key whose one meaningful claim is its role. Deterministic for a secret. */
export async function signApiKey(secret: string, role: "anon" | "service_role"): Promise<string> {
  return new SignJWT({ iss: "supabase-demo", role, exp: API_KEY_EXP })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

/** The secret and the two API keys for a project: the well-known ones unless a secret is configured. */
export async function jwtKeysFor(secret: string | null): Promise<JwtKeys> {
  if (secret === null || secret === WELL_KNOWN_JWT_SECRET) {
    return {
      secret: WELL_KNOWN_JWT_SECRET,
      anonKey: WELL_KNOWN_ANON_KEY,
      serviceRoleKey: WELL_KNOWN_SERVICE_ROLE_KEY,
      isWellKnownSecret: true,
    };
  }
  return {
    secret,
    anonKey: await signApiKey(secret, "anon"),
    serviceRoleKey: await signApiKey(secret, "service_role"),
    isWellKnownSecret: false,
  };
}
