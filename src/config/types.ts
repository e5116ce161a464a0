import type { ExternalProviderConfig } from "./auth-external-section.js";
import type { AuthHooksConfig } from "./auth-hooks-section.js";
import type { MfaConfig, SessionsConfig } from "./auth-security-section.js";
import type { SmsConfig } from "./auth-sms-section.js";
import type { JobsConfig } from "./jobs-section.js";
import type { StorageServerConfig } from "./storage-section.js";

/**
 * Glossary
 * - project: a folder in the Supabase CLI layout (`supabase/config.toml`, `supabase/migrations/`,
 *   `supabase/seed.sql`) plus Groundwork's optional `groundwork.toml` beside `supabase/`.
 * - embedded cluster: the PostgreSQL server Groundwork runs itself, with its files in
 *   `.groundwork/db` inside the project.
 * - database URL: a connection string for a PostgreSQL server Groundwork does not run; when one is
 *   configured, no embedded cluster is started.
 * - API roles: `anon`, `authenticated`, `service_role`; the server logs in as `authenticator` and
 *   switches to one of them for each request.
 */

import type { EdgeRuntimeConfig, FunctionConfig } from "./functions-section.js";
import type { MetricsConfig } from "./metrics-section.js";

export type { EdgeRuntimeConfig, FunctionConfig, MetricsConfig };

export interface ApiConfig {
  /** HTTP port of the API (all services). Supabase CLI default 54321. */
  readonly port: number;
  /** Address the HTTP server binds to. */
  readonly host: string;
  /** Schemas exposed through the data API (`[api] schemas`). */
  readonly schemas: readonly string[];
  /** Extra schemas on the search_path of API requests (`[api] extra_search_path`). */
  readonly extraSearchPath: readonly string[];
  /** Cap on rows returned by one read (`[api] max_rows`). */
  readonly maxRows: number;
  /**
   * Addresses or CIDRs of the proxies whose `X-Forwarded-For` is believed (groundwork.toml
   * `[api] trusted_proxies`); empty (the default): the connection's own address is the client's.
   */
  readonly trustedProxies: readonly string[];
}

export interface DbConfig {
  /** Port of the embedded cluster (`[db] port`). Supabase CLI default 54322. */
  readonly port: number;
  /** PostgreSQL major version the project expects (`[db] major_version`). */
  readonly majorVersion: number;
  /** A database URL to use instead of the embedded cluster; null for the embedded cluster. */
  readonly url: string | null;
  /**
   * URL the API pool logs in with (as `authenticator`). Null: derived from the database URL by
   * swapping in the `authenticator` role and its password.
   */
  readonly authenticatorUrl: string | null;
  /** Password of the `authenticator` role on the embedded cluster. */
  readonly authenticatorPassword: string;
  /** Connections in the API pool. */
  readonly poolSize: number;
}

export interface AuthConfig {
  readonly siteUrl: string;
  readonly additionalRedirectUrls: readonly string[];
  /** Lifetime of access tokens in seconds (`[auth] jwt_expiry`). */
  readonly jwtExpiry: number;
  readonly jwtIssuer: string;
  readonly enableSignup: boolean;
  readonly enableAnonymousSignIns: boolean;
  readonly enableRefreshTokenRotation: boolean;
  /** Seconds during which a used refresh token may be reused (`refresh_token_reuse_interval`). */
  readonly refreshTokenReuseInterval: number;
  readonly minimumPasswordLength: number;
  /** `""`, `letters_digits`, `lower_upper_letters_digits`, `lower_upper_letters_digits_symbols`. */
  readonly passwordRequirements: string;
  readonly email: {
    readonly enableSignup: boolean;
    readonly enableConfirmations: boolean;
    readonly doubleConfirmChanges: boolean;
    /** Seconds before another email may be sent to the same user (`[auth.email] max_frequency`). */
    readonly maxFrequency: number;
    /** Seconds an emailed link or code stays valid (`[auth.email] otp_expiry`). */
    readonly otpExpiry: number;
    /** Digits of the emailed one-time code (`[auth.email] otp_length`). */
    readonly otpLength: number;
    /**
     * `[auth.email] secure_password_change`: a password change from a session older than 24 hours
     * needs the nonce `auth.reauthenticate()` mails.
     */
    readonly securePasswordChange: boolean;
  };
  readonly rateLimit: {
    /** Sign-in and sign-up requests per 5 minutes per IP (`[auth.rate_limit] sign_in_sign_ups`). */
    readonly signInSignUps: number;
    /** Token refreshes per 5 minutes per IP (`[auth.rate_limit] token_refresh`). */
    readonly tokenRefresh: number;
    /** Emails sent per hour (`[auth.rate_limit] email_sent`). */
    readonly emailSent: number;
    /** OTP / recovery verifications per 5 minutes per IP (`[auth.rate_limit] token_verifications`). */
    readonly tokenVerifications: number;
    /** Anonymous sign-ins per hour per IP (`[auth.rate_limit] anonymous_users`). */
    readonly anonymousUsers: number;
  };
  /** `[auth.hook.*]`: each Postgres-function hook, null when disabled (auth-hooks-section.ts). */
  readonly hooks: AuthHooksConfig;
  /** `[auth.sms]`: phone sign-in (auth-sms-section.ts). */
  readonly sms: SmsConfig;
  /**
   * bcrypt cost of new password hashes (`groundwork.toml` `[auth] password_hash_cost`); 10 like
   * GoTrue. Tests lower it to keep hashing fast; existing hashes of any cost still verify.
   */
  readonly passwordHashCost: number;
  /** `[auth.mfa]` and `[auth.sessions]` (auth-security-section.ts). */
  readonly mfa: MfaConfig;
  readonly sessions: SessionsConfig;
  /** Enabled `[auth.external.NAME]` OAuth and OpenID Connect providers, by name. */
  readonly external: Readonly<Record<string, ExternalProviderConfig>>;
}

export interface StorageConfig {
  /** Largest object accepted, in bytes (`[storage] file_size_limit`). */
  readonly fileSizeLimit: number;
  readonly buckets: Readonly<Record<string, BucketConfig>>;
  /** `[storage.image_transformation] enabled`. */
  readonly imageTransformation: boolean;
  /** Groundwork's own settings (`groundwork.toml` `[storage]`). */
  readonly server: StorageServerConfig;
}

export interface BucketConfig {
  readonly public: boolean;
  readonly fileSizeLimit: number | null;
  readonly allowedMimeTypes: readonly string[] | null;
  readonly objectsPath: string | null;
}

/** One asymmetric key of `[auth] signing_keys_path` (a JWK set as `supabase gen signing-key` writes). */
export interface SigningKey {
  readonly kid: string;
  readonly alg: "ES256" | "RS256";
  /** The private JWK as the file holds it. */
  readonly privateJwk: Readonly<Record<string, unknown>>;
  /** Its public part as `/.well-known/jwks.json` publishes it (`use: sig`, `key_ops: [verify]`). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
}

export interface JwtKeys {
  /** HS256 secret: signs access tokens when no signing key is configured; always verifies. */
  readonly secret: string;
  /** The legacy `anon` and `service_role` API keys (HS256 JWTs with the secret). */
  readonly anonKey: string;
  readonly serviceRoleKey: string;
  /** True when the secret is the Supabase CLI's well-known local one. */
  readonly isWellKnownSecret: boolean;
  /** Absolute path of `[auth] signing_keys_path`, or null when unset. */
  readonly signingKeysPath: string | null;
  /**
   * The key set, the current (signing) key first, then standby and previous keys, which are
   * published and trusted but never sign. Empty: access tokens are HS256 with the secret.
   */
  readonly signingKeys: readonly SigningKey[];
  /** Opaque `sb_publishable_…` keys (role `anon`); the first is the one printed. */
  readonly publishableKeys: readonly string[];
  /** Opaque `sb_secret_…` keys (role `service_role`); several so one can be revoked at a time. */
  readonly secretKeys: readonly string[];
  /** True when the opaque keys include the Supabase CLI's fixed local pair. */
  readonly isWellKnownApiKeys: boolean;
}

/** A production SMTP server (`[auth.email.smtp]`); the password is never printed or logged. */
export interface SmtpConfig {
  readonly host: string;
  /** 465 connects with TLS; other ports upgrade with STARTTLS when the server offers it. */
  readonly port: number;
  readonly user: string;
  readonly pass: string;
  readonly adminEmail: string;
  readonly senderName: string;
}

/** A message template (`[auth.email.template.NAME]`): a subject and the HTML read from `content_path`. */
export interface MailTemplateConfig {
  readonly subject: string | null;
  readonly content: string | null;
}

/** Where auth mail goes (docs/mail.md). */
export interface MailConfig {
  /** `[inbucket] enabled` (or `[local_smtp]`): serve the local catcher while no SMTP is configured. */
  readonly catcherEnabled: boolean;
  /** `[inbucket] port`, 54324 as in the Supabase CLI; `GROUNDWORK_MAIL_PORT` overrides. */
  readonly catcherPort: number;
  /** The sender of every message. */
  readonly adminEmail: string;
  readonly senderName: string;
  /** Null: messages stay in the local outbox (the catcher shows them). */
  readonly smtp: SmtpConfig | null;
  /** Templates by message kind (`signup`, `invite`, `recovery`, `magiclink`, `email_change`, `reauthentication`). */
  readonly templates: Readonly<Record<string, MailTemplateConfig>>;
}

/** The audit log (`groundwork.toml` `[audit]`; docs/audit.md). */
export interface AuditConfig {
  /**
   * Days an audit entry is kept (`retention_days`); the server deletes older entries hourly. Null
   * (the default): entries are kept forever.
   */
  readonly retentionDays: number | null;
}

/** `groundwork db lint` (`groundwork.toml` `[lint]`; docs/cli/db-lint.md). */
export interface LintConfig {
  /**
   * Findings left out of the report and the exit code (`exclude`): a lint name
   * (`rls_enabled_no_policy`), a finding id (`rls_enabled_no_policy_public_jobs`), or either with
   * `*` wildcards.
   */
  readonly exclude: readonly string[];
}

/** A JSON Schema applied to the files matching a glob (`[guard.json_schemas.NAME]`). */
export interface JsonSchemaMapping {
  readonly name: string;
  /** Glob relative to the repository root, e.g. `config/*.json`. */
  readonly files: string;
  /** Path of the schema file relative to the repository root. */
  readonly schema: string;
}

/** `groundwork guard` (`groundwork.toml` `[guard]`; docs/cli/guard.md). */
export interface GuardConfig {
  /** Globs of files that must not change against the base ref (`protected_paths`). */
  readonly protectedPaths: readonly string[];
  /** The ref to compare with (`base_ref`); null: `origin/main`, else `main`, else `HEAD~1`. */
  readonly baseRef: string | null;
  readonly jsonSchemas: readonly JsonSchemaMapping[];
  /** Globs of files every check skips (`ignore`), e.g. test fixtures holding fake keys. */
  readonly ignore: readonly string[];
  /** Secrets not reported (`[guard.allowlist]`), besides lines marked `groundwork:allow`. */
  readonly allowlist: GuardAllowlist;
}

/** `[guard.allowlist]`, as gitleaks' `[allowlist]`: known fakes the secrets check does not report. */
export interface GuardAllowlist {
  /** Globs of files whose secrets are fixtures (`paths`). */
  readonly paths: readonly string[];
  /** Regular expressions; a secret whose matched text matches one is not reported (`regexes`). */
  readonly regexes: readonly string[];
}

/** One role test user (`groundwork.toml` `[test_users.users.KEY]`; docs/cli/users-seed.md). */
export interface TestUserConfig {
  /** The table key (`admin`); `TEST_<KEY>_EMAIL` overrides the email. */
  readonly key: string;
  readonly email: string;
  /** The tenant role given through the membership (`admin`, `sales_director`...). */
  readonly role: string;
  /** `user_metadata.full_name`, and the name of the user's row in a people table. */
  readonly fullName: string;
  /** Rows of related data per table (`contacts`, or `schema.table`), e.g. `{ contacts = 100 }`. */
  readonly counts: Readonly<Record<string, number>>;
}

/** `groundwork users seed` and `groundwork reset` (`groundwork.toml` `[test_users]`). */
export interface TestUsersConfig {
  readonly users: readonly TestUserConfig[];
  /** Everyone's password (`password`; `TEST_USER_PASSWORD` overrides). */
  readonly password: string;
  /** True when the password is the documented default, `TestPass123!` (not a secret). */
  readonly defaultPassword: boolean;
  /** The tenant the test users are members of and their data belongs to. */
  readonly tenantId: string;
  readonly tenantName: string;
  /** Default of `--seed`: the same number gives the same data. */
  readonly seed: number;
  /** Rows per user given to a table that is not counted but is needed as a foreign-key parent. */
  readonly parentRows: number;
}

/** A remote database named in `groundwork.toml` `[targets.NAME]`. */
export interface TargetConfig {
  readonly name: string;
  /** Name of the environment variable that holds the URL. */
  readonly urlEnv: string;
}

/** The whole validated configuration of one project; frozen once loaded. */
export interface Config {
  /** Absolute path of the project folder (the one that holds `supabase/`). */
  readonly projectDir: string;
  readonly projectId: string;
  /** Where Groundwork keeps its local state (cluster files, pid and state files). */
  readonly stateDir: string;
  readonly migrationsDir: string;
  /** `[db.migrations] enabled`: when false, start and db reset skip the migrations. */
  readonly migrationsEnabled: boolean;
  readonly seedPaths: readonly string[];
  readonly api: ApiConfig;
  readonly db: DbConfig;
  readonly auth: AuthConfig;
  readonly storage: StorageConfig;
  readonly functions: Readonly<Record<string, FunctionConfig>>;
  readonly edgeRuntime: EdgeRuntimeConfig;
  readonly jwt: JwtKeys;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly audit: AuditConfig;
  readonly mail: MailConfig;
  readonly jobs: JobsConfig;
  readonly lint: LintConfig;
  readonly guard: GuardConfig;
  readonly testUsers: TestUsersConfig;
  readonly metrics: MetricsConfig;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}
