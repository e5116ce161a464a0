import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";
import { AuthError } from "./errors.js";

/** The custom access token hook: a Postgres function `(event jsonb) returns jsonb`. */
export interface HookFunction {
  readonly uri: string;
  /** The quoted `schema.function` to call. */
  readonly sqlName: string;
}

/** GoTrue's default Postgres hook timeout. */
const HOOK_TIMEOUT_MS = 2000;
/** The role GoTrue runs as on Supabase, and so the role the hook function runs as. */
const HOOK_ROLE = "supabase_auth_admin";

/** Reads `pg-functions://<database>/<schema>/<function>` (the Supabase CLI's hook URI). */
export function parseHookUri(uri: string): HookFunction {
  const match = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match)
    throw new Error(`unsupported hook URI ${uri}: expected pg-functions://<database>/<schema>/<function>`);
  return { uri, sqlName: quoteQualified(match[1] as string, match[2] as string) };
}

/**
 * Calls the hook inside the caller's transaction, as GoTrue does: a local statement_timeout, the
 * function called as `supabase_auth_admin` (so its grants and RLS policies behave as on
 * Supabase; skipped when the server's login role may not switch to it), then the settings reset.
 * Returns the claims after GoTrue's validation; anything wrong is a 500 (or the hook's own
 * `error.http_code`).
 */
export async function runAccessTokenHook(
  client: pg.ClientBase,
  hook: HookFunction,
  event: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  let output: unknown;
  try {
    const { rows } = await client.query<{ as_hook_role: boolean }>(
      `select set_config('statement_timeout', $1, true),
              exists (select from pg_roles where rolname = $2 and pg_has_role(current_user, oid, 'MEMBER')) as as_hook_role`,
      [String(HOOK_TIMEOUT_MS), HOOK_ROLE],
    );
    if (rows[0]?.as_hook_role) await client.query(`set local role ${HOOK_ROLE}`);
    const result = await client.query<{ output: unknown }>(`select ${hook.sqlName}($1::jsonb) as output`, [
      JSON.stringify(event),
    ]);
    output = result.rows[0]?.output;
    await client.query("set local role none; set local statement_timeout to default");
  } catch (error) {
    throw new AuthError(500, null, `Error running hook URI: ${hook.uri}`, {}, error);
  }
  return validateHookOutput(output);
}

/**
 * GoTrue's checks of the hook's answer: an `error` object becomes that HTTP error; otherwise
 * `claims` must be an object holding the claims clients and Postgres rely on, with the types of
 * GoTrue's `MinimumViableTokenSchema`.
 */
export function validateHookOutput(output: unknown): Record<string, unknown> {
  const record = isObject(output) ? output : {};
  if (isObject(record.error)) {
    const status = typeof record.error.http_code === "number" ? record.error.http_code : 500;
    const message = typeof record.error.message === "string" ? record.error.message : "";
    throw new AuthError(status, null, message);
  }
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
