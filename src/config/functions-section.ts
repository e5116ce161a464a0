import path from "node:path";
import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/** One function's settings (`supabase/config.toml` `[functions.NAME]`). */
export interface FunctionConfig {
  /** False: the function is not served (404, as for a missing one). */
  readonly enabled: boolean;
  /** Require a valid project JWT in `Authorization` before the function runs (default true). */
  readonly verifyJwt: boolean;
  /** Entry module, absolute; null: `supabase/functions/NAME/index.ts`. */
  readonly entrypoint: string | null;
  /** Import map or deno.json whose `imports` apply, absolute; null: the function's own deno.json. */
  readonly importMap: string | null;
  /** Globs (absolute) of files the function may read besides its own folder. */
  readonly staticFiles: readonly string[];
}

/** How functions run: `[edge_runtime]` in config.toml plus `groundwork.toml` `[functions]`. */
export interface EdgeRuntimeConfig {
  /** `[edge_runtime] enabled`: false serves no function at all. */
  readonly enabled: boolean;
  /** `[edge_runtime.secrets]`: extra environment variables of every function. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The env file of every function (`supabase/functions/.env` unless `functions serve --env-file`). */
  readonly envFile: string;
  /** True when `functions serve --no-verify-jwt` turned verify_jwt off for all functions. */
  readonly noVerifyJwt: boolean;
  /** Milliseconds a worker may run before it is stopped with a 546 (`wall_clock_limit`, s). */
  readonly wallClockMs: number;
  /** Milliseconds of CPU time a request may use before its worker is stopped with a 546 (`cpu_time_limit`, s). */
  readonly cpuTimeMs: number;
  /** V8 heap limit of each worker in MiB (`memory_limit_mb`). */
  readonly memoryLimitMb: number;
  /** Largest request body passed to a function, in bytes (`body_limit`). */
  readonly bodyLimit: number;
  /** Milliseconds a worker may take to boot, npm downloads included (`boot_timeout`, s). */
  readonly bootTimeoutMs: number;
  /** Milliseconds without a call after which a worker is stopped (`idle_timeout`, s). */
  readonly idleTimeoutMs: number;
  /** Print each function's output on the console (`groundwork functions serve`). */
  readonly consoleLogs: boolean;
}

/** `supabase/config.toml` `[functions.NAME]`; paths are relative to `supabase/`, as the CLI reads them. */
export function readFunctions(functions: TableReader, supabaseDir: string): Record<string, FunctionConfig> {
  const result: Record<string, FunctionConfig> = {};
  for (const name of functions.sectionNames()) {
    const fn = functions.section(name);
    const entrypoint = fn.optionalString("entrypoint");
    const importMap = fn.optionalString("import_map");
    result[name] = {
      enabled: fn.boolean("enabled", true),
      verifyJwt: fn.boolean("verify_jwt", true),
      entrypoint: entrypoint === null ? null : path.resolve(supabaseDir, entrypoint),
      importMap: importMap === null ? null : path.resolve(supabaseDir, importMap),
      staticFiles: fn.stringList("static_files", []).map((glob) => path.resolve(supabaseDir, glob)),
    };
  }
  return result;
}

/** `[edge_runtime]` (config.toml) and `[functions]` (groundwork.toml). */
export function readEdgeRuntime(
  edgeRuntime: TableReader,
  groundworkFunctions: TableReader,
  supabaseDir: string,
): EdgeRuntimeConfig {
  const secretsSection = edgeRuntime.section("secrets");
  const secrets: Record<string, string> = {};
  for (const key of secretsSection.keys()) {
    if (key.startsWith("SUPABASE_")) {
      throw new ConfigError(
        secretsSection.file,
        `edge_runtime.secrets.${key}`,
        "a name that does not start with SUPABASE_ (those are set by the runtime)",
        key,
      );
    }
    secrets[key] = secretsSection.string(key, "");
  }
  return {
    enabled: edgeRuntime.boolean("enabled", true),
    secrets,
    envFile: path.join(supabaseDir, "functions", ".env"),
    noVerifyJwt: false,
    wallClockMs: groundworkFunctions.integer("wall_clock_limit", 400, { min: 1, max: 3600 }) * 1000,
    // Supabase's limit: 2 s of CPU per request.
    cpuTimeMs: groundworkFunctions.integer("cpu_time_limit", 2, { min: 1, max: 3600 }) * 1000,
    memoryLimitMb: groundworkFunctions.integer("memory_limit_mb", 256, { min: 32, max: 16384 }),
    bodyLimit: groundworkFunctions.byteSize("body_limit", 20 * 1024 * 1024),
    bootTimeoutMs: groundworkFunctions.integer("boot_timeout", 60, { min: 1, max: 600 }) * 1000,
    idleTimeoutMs: groundworkFunctions.integer("idle_timeout", 300, { min: 1, max: 86400 }) * 1000,
    consoleLogs: false,
  };
}
