import { createHash } from "node:crypto";
import type { JwtKeys } from "../config/index.js";

/** Which opaque key a request came with. */
export type ApiKeyKind = "publishable" | "secret";

/** The caller an opaque API key stands for. */
export interface ApiKeyCaller {
  readonly kind: ApiKeyKind;
  /** `anon` for a publishable key, `service_role` for a secret key. */
  readonly role: "anon" | "service_role";
  /** The claims of the legacy API key of that role, which services see for it. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The legacy API key (a JWT) of that role, passed on where a service forwards the token. */
  readonly token: string;
}

/**
 * True for Supabase's opaque keys (`sb_publishable_…`, `sb_secret_…`, and other `sb_` kinds this
 * project does not issue). A JWT never starts so: its first segment is base64 of `{"`.
 */
export function isOpaqueApiKey(value: string): boolean {
  return value.startsWith("sb_");
}

const lookups = new WeakMap<JwtKeys, Map<string, ApiKeyCaller>>();

/**
 * The caller for an opaque key, as the Supabase CLI's API gateway maps them: a publishable key
 * runs as the `anon` API key, a secret key as the `service_role` API key (the gateway swaps in
 * those JWTs, so services see their claims). Null when the key is not one of this project's.
 * Keys are compared by their SHA-256, so lookup time says nothing about how much of a key matched.
 */
export function apiKeyCaller(key: string, keys: JwtKeys): ApiKeyCaller | null {
  let table = lookups.get(keys);
  if (!table) {
    table = new Map();
    const anon = { role: "anon", claims: decodePayload(keys.anonKey), token: keys.anonKey } as const;
    const service = {
      role: "service_role",
      claims: decodePayload(keys.serviceRoleKey),
      token: keys.serviceRoleKey,
    } as const;
    for (const publishable of keys.publishableKeys)
      table.set(digest(publishable), { kind: "publishable", ...anon });
    for (const secret of keys.secretKeys) table.set(digest(secret), { kind: "secret", ...service });
    lookups.set(keys, table);
  }
  return table.get(digest(key)) ?? null;
}

function digest(key: string): string {
  return createHash("sha256").update(key).digest("base64");
}

function decodePayload(jwt: string): Readonly<Record<string, unknown>> {
  const payload = jwt.split(".")[1] ?? "";
  return Object.freeze(
    JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>,
  );
}
