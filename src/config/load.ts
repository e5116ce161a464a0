import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { readExternalProviders } from "./auth-external-section.js";
import { readAuthHooks } from "./auth-hooks-section.js";
import { readMfa, readSessions } from "./auth-security-section.js";
import { readSms } from "./auth-sms-section.js";
import { ConfigError } from "./errors.js";
import { readEdgeRuntime, readFunctions } from "./functions-section.js";
import { readAudit, readGuard, readLint } from "./groundwork-sections.js";
import { readJobs } from "./jobs-section.js";
import { jwtKeysFor } from "./jwt-keys.js";
import { readKeys } from "./keys-section.js";
import { readMail } from "./mail-section.js";
import { readMetrics } from "./metrics-section.js";
import { readTrustedProxies } from "./proxies-section.js";
import { TableReader } from "./reader.js";
import { readStorageServer } from "./storage-section.js";
import { readTestUsers } from "./test-users-section.js";
import type { AuthConfig, BucketConfig, Config, GuardConfig, StorageConfig, TargetConfig } from "./types.js";

/** Groundwork's own settings live in this one file beside `supabase/` (docs/configuration.md). */
export const GROUNDWORK_CONFIG_FILE = "groundwork.toml";
export const SUPABASE_CONFIG_FILE = path.join("supabase", "config.toml");

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Loads and validates a project's configuration once: `supabase/config.toml` (Supabase CLI
 * layout, unknown keys accepted), `groundwork.toml` (Groundwork-only settings) and the
 * environment (`DATABASE_URL`, `GROUNDWORK_*`). The result is frozen and passed down.
 */
export async function loadConfig(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const dir = path.resolve(projectDir);
  const supabasePath = path.join(dir, SUPABASE_CONFIG_FILE);
  if (!existsSync(supabasePath)) {
    throw new ConfigError(
      supabasePath,
      "(file)",
      "a Supabase project folder with supabase/config.toml (run `groundwork init` to create one)",
      "no such file",
    );
  }
  const supabase = new TableReader(
    SUPABASE_CONFIG_FILE,
    readToml(supabasePath, SUPABASE_CONFIG_FILE),
    "",
    env,
  );
  const groundworkPath = path.join(dir, GROUNDWORK_CONFIG_FILE);
  const groundwork = new TableReader(
    GROUNDWORK_CONFIG_FILE,
    existsSync(groundworkPath) ? readToml(groundworkPath, GROUNDWORK_CONFIG_FILE) : {},
    "",
    env,
  );

  const api = supabase.section("api");
  const db = supabase.section("db");
  const gwDb = groundwork.section("db");
  const gwApi = groundwork.section("api");
  const auth = supabase.section("auth");

  const databaseUrl = nonEmpty(env.DATABASE_URL) ?? gwDb.optionalString("url");
  const jwtSecret = nonEmpty(env.GROUNDWORK_JWT_SECRET) ?? auth.optionalString("jwt_secret");
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError(
      SUPABASE_CONFIG_FILE,
      "auth.jwt_secret",
      "a secret of at least 32 characters",
      `${jwtSecret.length} characters`,
    );
  }
  const logLevel = groundwork.string("log_level", env.GROUNDWORK_LOG_LEVEL ?? "info");
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      GROUNDWORK_CONFIG_FILE,
      "log_level",
      `one of ${LOG_LEVELS.join(", ")}`,
      JSON.stringify(logLevel),
    );
  }
  const schemas = api.stringList("schemas", ["public", "graphql_public"]);
  const apiPort =
    integerFromEnv(env, "GROUNDWORK_API_PORT") ?? api.integer("port", 54321, { min: 0, max: 65535 });

  const config: Config = {
    projectDir: dir,
    projectId: supabase.string("project_id", path.basename(dir)),
    stateDir: path.join(dir, ".groundwork"),
    migrationsDir: path.join(dir, "supabase", "migrations"),
    migrationsEnabled: db.section("migrations").boolean("enabled", true),
    seedPaths: readSeedPaths(supabase, dir),
    api: {
      port: apiPort,
      host: nonEmpty(env.GROUNDWORK_API_HOST) ?? gwApi.string("host", "127.0.0.1"),
      schemas,
      extraSearchPath: api.stringList("extra_search_path", ["public", "extensions"]),
      maxRows: api.integer("max_rows", 1000, { min: 1 }),
      trustedProxies: readTrustedProxies(gwApi, env),
    },
    db: {
      port: integerFromEnv(env, "GROUNDWORK_DB_PORT") ?? db.integer("port", 54322, { min: 1, max: 65535 }),
      majorVersion: db.integer("major_version", 17, { min: 13, max: 18 }),
      url: databaseUrl,
      authenticatorUrl:
        nonEmpty(env.GROUNDWORK_AUTHENTICATOR_URL) ?? gwDb.optionalString("authenticator_url"),
      authenticatorPassword: gwDb.string("authenticator_password", "postgres"),
      poolSize: gwDb.integer("pool_size", 10, { min: 1, max: 1000 }),
    },
    auth: readAuth(auth, apiPort, groundwork.section("auth")),
    storage: readStorage(
      supabase.section("storage"),
      readStorageServer(groundwork.section("storage"), path.join(dir, ".groundwork"), env),
    ),
    functions: readFunctions(supabase.section("functions"), path.join(dir, "supabase")),
    edgeRuntime: readEdgeRuntime(
      supabase.section("edge_runtime"),
      groundwork.section("functions"),
      path.join(dir, "supabase"),
    ),
    jwt: await jwtKeysFor(jwtSecret, readKeys(auth, groundwork.section("auth"), dir, env)),
    targets: readTargets(groundwork.section("targets")),
    audit: readAudit(groundwork.section("audit")),
    mail: readMail(supabase, dir, env),
    jobs: readJobs(groundwork.section("jobs"), env),
    lint: readLint(groundwork.section("lint")),
    guard: readGuard(groundwork.section("guard")),
    testUsers: readTestUsers(groundwork.section("test_users"), env),
    metrics: readMetrics(groundwork.section("metrics"), env),
    logLevel: logLevel as Config["logLevel"],
  };
  return deepFreeze(config);
}

/**
 * `[guard]` of a folder's groundwork.toml alone, for `groundwork guard` in a repository without a
 * Supabase project (Groundwork's own, for one): defaults when the file is missing.
 */
export function loadGuardConfig(dir: string): GuardConfig {
  const file = path.join(dir, GROUNDWORK_CONFIG_FILE);
  const table = existsSync(file) ? readToml(file, GROUNDWORK_CONFIG_FILE) : {};
  return readGuard(new TableReader(GROUNDWORK_CONFIG_FILE, table).section("guard"));
}

function readToml(absolutePath: string, displayName: string): Record<string, unknown> {
  const text = readFileSync(absolutePath, "utf8");
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split("\n")[0] ?? error.message;
      throw new ConfigError(
        `${displayName}:${error.line}:${error.column}`,
        "(syntax)",
        "valid TOML",
        firstLine.replace(/^Invalid TOML document: /, ""),
      );
    }
    throw error;
  }
}

function readSeedPaths(supabase: TableReader, dir: string): readonly string[] {
  const seed = supabase.section("db").section("seed");
  if (!seed.boolean("enabled", true)) return [];
  return seed
    .stringList("sql_paths", ["./seed.sql"])
    .flatMap((p) => expandGlob(path.resolve(dir, "supabase", p)));
}

/**
 * Expands `*` and `?` in the file-name part of a path (the Supabase CLI accepts globs such as
 * "./seeds/*.sql"), sorted; a path without wildcards is returned as it is.
 */
function expandGlob(pattern: string): string[] {
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) return [pattern];
  const folder = path.dirname(pattern);
  if (!existsSync(folder)) return [];
  const regex = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );
  return readdirSync(folder)
    .filter((name) => regex.test(name))
    .sort()
    .map((name) => path.join(folder, name));
}

/**
 * The Supabase CLI applies `[auth.rate_limit] email_sent` only with `[auth.email.smtp]` enabled
 * ("Requires auth.email.smtp to be enabled" in its template); mail to the local catcher is
 * limited to 360000 an hour, so end-to-end tests that sign up, then send a magic link and a code,
 * are not refused by the template's `email_sent = 2`.
 */
const LOCAL_CATCHER_EMAIL_SENT = 360_000;

function smtpEnabled(email: TableReader): boolean {
  return email.has("smtp") && email.section("smtp").boolean("enabled", true);
}

function readAuth(auth: TableReader, apiPort: number, groundworkAuth: TableReader): AuthConfig {
  const email = auth.section("email");
  const rateLimit = auth.section("rate_limit");
  return {
    siteUrl: auth.string("site_url", "http://127.0.0.1:3000"),
    additionalRedirectUrls: auth.stringList("additional_redirect_urls", []),
    jwtExpiry: auth.integer("jwt_expiry", 3600, { min: 30, max: 604800 }),
    jwtIssuer: auth.string("jwt_issuer", `http://127.0.0.1:${apiPort}/auth/v1`),
    enableSignup: auth.boolean("enable_signup", true),
    enableAnonymousSignIns: auth.boolean("enable_anonymous_sign_ins", false),
    enableRefreshTokenRotation: auth.boolean("enable_refresh_token_rotation", true),
    refreshTokenReuseInterval: auth.integer("refresh_token_reuse_interval", 10, { min: 0 }),
    minimumPasswordLength: auth.integer("minimum_password_length", 6, { min: 6, max: 72 }),
    passwordRequirements: auth.string("password_requirements", ""),
    email: {
      enableSignup: email.boolean("enable_signup", true),
      enableConfirmations: email.boolean("enable_confirmations", false),
      doubleConfirmChanges: email.boolean("double_confirm_changes", true),
      maxFrequency: durationSeconds(email, "max_frequency", 1),
      otpExpiry: email.integer("otp_expiry", 3600, { min: 1, max: 86400 }),
      otpLength: email.integer("otp_length", 6, { min: 6, max: 10 }),
      securePasswordChange: email.boolean("secure_password_change", false),
    },
    rateLimit: {
      signInSignUps: rateLimit.integer("sign_in_sign_ups", 30, { min: 1 }),
      tokenRefresh: rateLimit.integer("token_refresh", 150, { min: 1 }),
      emailSent: smtpEnabled(email)
        ? rateLimit.integer("email_sent", 2, { min: 1 })
        : LOCAL_CATCHER_EMAIL_SENT,
      tokenVerifications: rateLimit.integer("token_verifications", 30, { min: 1 }),
      anonymousUsers: rateLimit.integer("anonymous_users", 30, { min: 1 }),
    },
    hooks: readAuthHooks(auth, SUPABASE_CONFIG_FILE),
    sms: readSms(auth),
    passwordHashCost: groundworkAuth.integer("password_hash_cost", 10, { min: 4, max: 16 }),
    mfa: readMfa(auth),
    sessions: readSessions(auth),
    external: readExternalProviders(auth),
  };
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** A Go duration as the Supabase CLI writes them (`"1s"`, `"1m30s"`), or a number of seconds. */
function durationSeconds(reader: TableReader, name: string, fallback: number): number {
  if (!reader.has(name)) return fallback;
  const text = reader.string(name, "");
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
    throw new ConfigError(
      SUPABASE_CONFIG_FILE,
      `auth.email.${name}`,
      'a duration such as "60s" or "1m"',
      JSON.stringify(text),
    );
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (DURATION_UNITS[part[2] as string] ?? 0), 0);
}

function readStorage(storage: TableReader, server: StorageConfig["server"]): StorageConfig {
  const bucketsSection = storage.section("buckets");
  const buckets: Record<string, BucketConfig> = {};
  for (const name of bucketsSection.sectionNames()) {
    const bucket = bucketsSection.section(name);
    buckets[name] = {
      public: bucket.boolean("public", false),
      fileSizeLimit: bucket.has("file_size_limit") ? bucket.byteSize("file_size_limit", 0) : null,
      allowedMimeTypes: bucket.has("allowed_mime_types") ? bucket.stringList("allowed_mime_types", []) : null,
      objectsPath: bucket.optionalString("objects_path"),
    };
  }
  return {
    fileSizeLimit: storage.byteSize("file_size_limit", 50 * 1024 * 1024),
    buckets,
    imageTransformation: storage.section("image_transformation").boolean("enabled", true),
    server,
  };
}

function readTargets(targets: TableReader): Record<string, TargetConfig> {
  const result: Record<string, TargetConfig> = {};
  for (const name of targets.sectionNames()) {
    const target = targets.section(name);
    const urlEnv = target.optionalString("url_env");
    if (urlEnv === null || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(urlEnv)) {
      throw new ConfigError(
        GROUNDWORK_CONFIG_FILE,
        `targets.${name}.url_env`,
        "the name of the environment variable that holds the database URL",
        urlEnv === null ? "nothing" : JSON.stringify(urlEnv),
      );
    }
    result[name] = { name, urlEnv };
  }
  return result;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === "" ? null : value;
}

function integerFromEnv(env: NodeJS.ProcessEnv, name: string): number | null {
  const value = nonEmpty(env[name]);
  if (value === null) return null;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`environment`, name, "a port number from 0 to 65535", JSON.stringify(value));
  }
  return Number(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
