import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/** The Postgres-function hooks of `[auth.hook.*]`, by their config.toml names (the Supabase CLI's). */
export const AUTH_HOOK_NAMES = [
  "custom_access_token",
  "send_email",
  "send_sms",
  "password_verification_attempt",
  "mfa_verification_attempt",
  "before_user_created",
] as const;

export type AuthHookName = (typeof AUTH_HOOK_NAMES)[number];

/** One enabled hook: a `pg-functions://<database>/<schema>/<function>` URI. */
export interface AuthHookConfig {
  readonly uri: string;
}

/** `[auth.hook.NAME]` for every hook; null when the hook is off. */
export type AuthHooksConfig = { readonly [name in AuthHookName]: AuthHookConfig | null };

/** GoTrue's check of the schema and function names in a hook URI (`postgresNamesRegexp`). */
const POSTGRES_NAME = "[A-Za-z_][A-Za-z0-9_]{0,62}";
const PG_FUNCTION_URI = new RegExp(`^pg-functions://[^/]+/${POSTGRES_NAME}/${POSTGRES_NAME}$`);

/**
 * Reads `[auth.hook.NAME] enabled, uri` for each hook the Supabase CLI knows. Only Postgres
 * functions are served; an enabled hook with an HTTP(S) URI, or a URI whose names GoTrue would
 * refuse, stops the start with the key named.
 */
export function readAuthHooks(auth: TableReader, file: string): AuthHooksConfig {
  const hooks = auth.section("hook");
  const entries = AUTH_HOOK_NAMES.map((name) => {
    const hook = hooks.section(name);
    if (!hook.boolean("enabled", false)) return [name, null] as const;
    const uri = hook.optionalString("uri");
    if (uri === null || !PG_FUNCTION_URI.test(uri)) {
      throw new ConfigError(
        file,
        `auth.hook.${name}.uri`,
        'a Postgres function as "pg-functions://postgres/<schema>/<function>" (HTTP hooks are not served)',
        uri === null ? "nothing" : JSON.stringify(uri),
      );
    }
    return [name, { uri }] as const;
  });
  return Object.fromEntries(entries) as AuthHooksConfig;
}
