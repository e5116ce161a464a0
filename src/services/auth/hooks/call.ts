import { randomUUID } from "node:crypto";
import pg from "pg";
import { quoteQualified } from "../../../db/sql.js";
import { AuthError } from "../errors.js";
import { transaction } from "../sql/queryable.js";

/** How a hook call ended: answered, answered with an `error`, or failed (raised, timed out...). */
export type HookOutcome = "success" | "error" | "failure";

/** A configured hook: a Postgres function `(event jsonb) returns jsonb`. */
export interface HookFunction {
  readonly uri: string;
  /** The quoted `schema.function` to call. */
  readonly sqlName: string;
  /** Told how each call ended and how long it took (the service's metrics). */
  readonly observe?: (outcome: HookOutcome, seconds: number) => void;
}

/** GoTrue's names for its hooks, as each event's `metadata.name` carries them. */
export type HookEventName =
  | "customize-access-token"
  | "send-email"
  | "send-sms"
  | "password-verification"
  | "mfa-verification"
  | "before-user-created";

/** GoTrue's Postgres hook timeout (`hookspgfunc.defaultTimeout`). */
export const HOOK_TIMEOUT_MS = 2000;
/** The role GoTrue runs as on Supabase, and so the role every hook function runs as. */
const HOOK_ROLE = "supabase_auth_admin";

/** Reads `pg-functions://<database>/<schema>/<function>` (the Supabase CLI's hook URI). */
export function parseHookUri(uri: string): HookFunction {
  const match = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match)
    throw new Error(`unsupported hook URI ${uri}: expected pg-functions://<database>/<schema>/<function>`);
  return { uri, sqlName: quoteQualified(match[1] as string, match[2] as string) };
}

/** The `metadata` object every event carries (GoTrue's `v0hooks.Metadata`). */
export function hookMetadata(name: HookEventName, ip: string | null): Record<string, unknown> {
  return {
    uuid: randomUUID(),
    time: new Date().toISOString(),
    name,
    ...(ip ? { ip_address: ip } : {}),
  };
}

/**
 * Calls a hook function with its event, the one way every hook is called. Given a pool, the call
 * runs in a transaction of its own that commits, so what the function records (a failed attempt,
 * say) stays even when the request then fails, as GoTrue's `InvokeHook(nil, …)`; given a
 * transaction's client, it runs inside it and rolls back with it.
 *
 * As GoTrue does: a local `statement_timeout` of {@link HOOK_TIMEOUT_MS} bounds the call (Postgres
 * cancels a function that overruns; no timer of ours could stop it), the function runs as
 * `supabase_auth_admin` (so its grants and RLS policies behave as on Supabase; skipped when the
 * server's login role may not switch to it), and the settings are reset afterwards. A failing
 * call is a 500 naming the URI; an answer with an `error` object is that HTTP error. Returns the
 * function's output (null for SQL null).
 */
export async function callHook(
  sql: pg.Pool | pg.ClientBase,
  hook: HookFunction,
  event: Readonly<Record<string, unknown>>,
): Promise<unknown> {
  const run = async (client: pg.ClientBase) => {
    const { rows } = await client.query<{ as_hook_role: boolean }>(
      `select set_config('statement_timeout', $1, true),
              exists (select from pg_roles where rolname = $2 and pg_has_role(current_user, oid, 'MEMBER')) as as_hook_role`,
      [String(HOOK_TIMEOUT_MS), HOOK_ROLE],
    );
    if (rows[0]?.as_hook_role) await client.query(`set local role ${HOOK_ROLE}`);
    const result = await client.query<{ output: unknown }>(`select ${hook.sqlName}($1::jsonb) as output`, [
      JSON.stringify(event),
    ]);
    await client.query("set local role none; set local statement_timeout to default");
    return result.rows[0]?.output ?? null;
  };
  const started = performance.now();
  const observe = (outcome: HookOutcome) => hook.observe?.(outcome, (performance.now() - started) / 1000);
  let output: unknown;
  try {
    output = sql instanceof pg.Pool ? await transaction(sql, run) : await run(sql);
  } catch (error) {
    observe("failure");
    throw new AuthError(500, null, `Error running hook URI: ${hook.uri}`, {}, error);
  }
  try {
    throwHookError(output);
  } catch (error) {
    observe("error");
    throw error;
  }
  observe("success");
  return output;
}

/**
 * GoTrue's `hookserrors.Check`: an `error` object with a message is that HTTP error, 500 without
 * an `http_code`. As in GoTrue, an `error` without a message, or one that is not an object, is
 * no error at all. A code outside 400-599 (which no HTTP error can carry) is answered as 500.
 */
function throwHookError(output: unknown): void {
  if (!isObject(output) || !isObject(output.error)) return;
  const { http_code: code, message } = output.error;
  if (typeof message !== "string" || message === "") return;
  const status = Number.isInteger(code) && (code as number) >= 400 && (code as number) <= 599 ? code : 500;
  throw new AuthError(status as number, null, message);
}

/** What GoTrue answers when a hook's output does not fit the shape it expects. */
export function malformedOutput(): AuthError {
  return new AuthError(500, null, "Error unmarshaling JSON output.");
}

/**
 * The output as an object whose named fields have the given types, as Go's JSON decoding into
 * GoTrue's output struct checks them; SQL null and JSON null are an empty answer.
 */
export function decodeOutput(
  output: unknown,
  fields: Readonly<Record<string, "string" | "boolean">>,
): Record<string, unknown> {
  if (output === null) return {};
  if (!isObject(output)) throw malformedOutput();
  for (const [name, type] of Object.entries(fields)) {
    const value = output[name];
    if (value !== undefined && value !== null && typeof value !== type) throw malformedOutput();
  }
  return output;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
