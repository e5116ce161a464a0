import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import type { Config } from "../../config/index.js";

/** What the relay knows only once the server runs. */
export interface RuntimeAddresses {
  /** The API's own URL, as a function reaches it (`SUPABASE_URL`). */
  readonly apiUrl: string;
  /** The database URL (`SUPABASE_DB_URL`). */
  readonly dbUrl: string;
}

/** Variables of the server's own environment a worker still needs (Deno's cache, proxies). */
const PASSED_THROUGH = [
  "DENO_DIR",
  "NPM_CONFIG_REGISTRY",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "TZ",
  "LANG",
];

/**
 * A function's environment, built from nothing so the server's own variables (database
 * passwords, cloud credentials) never leak into functions: Supabase's variables, then
 * `[edge_runtime.secrets]`, then `supabase/functions/.env` (names starting with SUPABASE_ are
 * refused there, as the CLI does), plus the few variables Deno itself needs.
 */
export function functionEnv(
  config: Config,
  addresses: RuntimeAddresses,
  warn: (message: string) => void,
  serverEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = serverEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.DENO_DIR ??= path.join(os.homedir(), ".cache", "deno");
  // Trust the operating system's certificates too, so npm downloads work behind TLS-inspecting
  // proxies whose CA the machine trusts (Deno trusts only Mozilla's list by default).
  env.DENO_TLS_CA_STORE ??= "mozilla,system";
  env.NO_COLOR = "1";
  Object.assign(env, config.edgeRuntime.secrets);
  for (const [name, value] of Object.entries(readEnvFile(config.edgeRuntime.envFile))) {
    if (name.startsWith("SUPABASE_")) {
      warn(
        `${config.edgeRuntime.envFile}: skipped ${name} (names starting with SUPABASE_ are set by the runtime)`,
      );
      continue;
    }
    env[name] = value;
  }
  Object.assign(env, supabaseVariables(config, addresses));
  return env;
}

/**
 * The variables Supabase's runtime sets for every function: the legacy keys, the opaque keys as
 * JSON objects keyed by name (`{"default": "sb_publishable_…"}`), and the public signing keys.
 */
export function supabaseVariables(config: Config, addresses: RuntimeAddresses): Record<string, string> {
  const { jwt } = config;
  const named = (keys: readonly string[]) =>
    JSON.stringify(keys[0] === undefined ? {} : { default: keys[0] });
  return {
    SUPABASE_URL: addresses.apiUrl,
    SUPABASE_ANON_KEY: jwt.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: jwt.serviceRoleKey,
    SUPABASE_DB_URL: addresses.dbUrl,
    SUPABASE_PUBLISHABLE_KEYS: named(jwt.publishableKeys),
    SUPABASE_SECRET_KEYS: named(jwt.secretKeys),
    SUPABASE_JWKS: JSON.stringify({ keys: jwt.signingKeys.map((key) => key.publicJwk) }),
  };
}

function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const parsed = parseEnv(readFileSync(file, "utf8"));
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) if (value !== undefined) result[name] = value;
  return result;
}
