import type pg from "pg";
import { AuthError } from "../errors.js";
import { callHook, type HookFunction, hookMetadata, isObject } from "./call.js";

/** The custom access token hook's event (GoTrue's `CustomAccessTokenInput`, without `metadata`). */
export interface AccessTokenEvent {
  readonly user_id: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly authentication_method: string;
}

/**
 * `[auth.hook.custom_access_token]`: the hook sees the claims about to be signed, inside the
 * transaction that issues the session (so a failing hook undoes it), and its validated claims are
 * what gets signed.
 */
export async function runAccessTokenHook(
  tx: pg.ClientBase,
  hook: HookFunction,
  event: AccessTokenEvent,
  /** The client's address (`metadata.ip_address`); unknown for tokens signed outside a request. */
  ip: string | null = null,
): Promise<Record<string, unknown>> {
  const output = await callHook(tx, hook, {
    metadata: hookMetadata("customize-access-token", ip),
    ...event,
  });
  return validateHookOutput(output);
}

/**
 * GoTrue's checks of the hook's answer (after {@link callHook} turned an `error` into that HTTP
 * error): `claims` must be an object holding the claims clients and Postgres rely on, with the types of
 * GoTrue's `MinimumViableTokenSchema`.
 */
export function validateHookOutput(output: unknown): Record<string, unknown> {
  const record = isObject(output) ? output : {};
  if (!isObject(record.claims)) throw new AuthError(500, null, "output claims field is missing");
  const problems = claimProblems(record.claims);
  if (problems.length > 0) {
    throw new AuthError(
      500,
      null,
      `output claims do not conform to the expected schema: \n${problems.map((p) => `- ${p}\n`).join("")}`,
    );
  }
  return record.claims;
}

const REQUIRED = ["aud", "exp", "iat", "sub", "email", "phone", "role", "aal", "session_id", "is_anonymous"];
const TYPES: Readonly<Record<string, (value: unknown) => boolean>> = {
  aud: (v) => typeof v === "string" || Array.isArray(v),
  exp: Number.isInteger,
  iat: Number.isInteger,
  nbf: Number.isInteger,
  jti: (v) => typeof v === "string",
  iss: (v) => typeof v === "string",
  sub: (v) => typeof v === "string",
  email: (v) => typeof v === "string",
  phone: (v) => typeof v === "string",
  role: (v) => typeof v === "string",
  aal: (v) => typeof v === "string",
  session_id: (v) => typeof v === "string",
  client_id: (v) => typeof v === "string",
  app_metadata: isObject,
  user_metadata: isObject,
  amr: (v) => Array.isArray(v) && v.every((item) => typeof item === "string" || isObject(item)),
};

function claimProblems(claims: Record<string, unknown>): string[] {
  const problems = REQUIRED.filter((name) => !(name in claims)).map((name) => `(root): ${name} is required`);
  for (const [name, check] of Object.entries(TYPES)) {
    if (name in claims && !check(claims[name])) problems.push(`${name}: Invalid type`);
  }
  return problems;
}
