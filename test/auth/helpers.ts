import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { startTestServer, type TestServer } from "../harness/server.js";

type TomlValue = string | number | boolean | readonly string[];
type TomlTable = Readonly<Record<string, TomlValue>>;

/** Settings of a throw-away project for one auth test file; each table overrides the defaults. */
export interface AuthProjectOptions {
  readonly auth?: TomlTable;
  readonly email?: TomlTable;
  readonly rateLimit?: TomlTable;
  /** `[auth.hook.custom_access_token]`. */
  readonly hook?: TomlTable;
  /** groundwork.toml `[api] trusted_proxies`: whose X-Forwarded-For the server believes. */
  readonly trustedProxies?: readonly string[];
  /** More TOML appended to supabase/config.toml (e.g. `[auth.email.smtp]`). */
  readonly extraToml?: string;
  /** Files to write into the project folder before the server starts (path -> content). */
  readonly files?: Readonly<Record<string, string>>;
  /** Extra environment for config loading (`env(NAME)` values). */
  readonly env?: Record<string, string>;
}

const DEFAULT_AUTH: TomlTable = {
  site_url: "http://127.0.0.1:3000",
  additional_redirect_urls: ["https://app.example.com/**"],
  jwt_expiry: 3600,
  enable_refresh_token_rotation: true,
  refresh_token_reuse_interval: 10,
  enable_signup: true,
  enable_anonymous_sign_ins: false,
  minimum_password_length: 6,
};
// Generous limits, so only the tests about limits trip them.
const DEFAULT_RATE_LIMIT: TomlTable = {
  email_sent: 1000,
  token_refresh: 1000,
  sign_in_sign_ups: 1000,
  token_verifications: 1000,
  anonymous_users: 1000,
};
const DEFAULT_EMAIL: TomlTable = {
  enable_signup: true,
  enable_confirmations: false,
  double_confirm_changes: true,
  max_frequency: "1s",
};

/**
 * Starts a server on a clone of the CRM template (its seed users sign in with `TestPass123!`)
 * with a project folder of its own: the given auth settings and a bcrypt cost of 4, so hashing
 * costs nothing in tests.
 */
export async function startAuthServer(
  options: AuthProjectOptions = {},
): Promise<TestServer & { dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-auth-"));
  mkdirSync(path.join(dir, "supabase"), { recursive: true });
  const sections = [
    'project_id = "auth-test"',
    table("auth", { ...DEFAULT_AUTH, ...options.auth }),
    table("auth.rate_limit", { ...DEFAULT_RATE_LIMIT, ...options.rateLimit }),
    table("auth.email", { ...DEFAULT_EMAIL, ...options.email }),
    options.hook ? table("auth.hook.custom_access_token", options.hook) : "",
    options.extraToml ?? "",
  ];
  for (const [file, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  writeFileSync(path.join(dir, "supabase", "config.toml"), sections.join("\n\n"));
  const proxies = options.trustedProxies
    ? `[api]\ntrusted_proxies = ${JSON.stringify(options.trustedProxies)}\n\n`
    : "";
  writeFileSync(path.join(dir, "groundwork.toml"), `${proxies}[auth]\npassword_hash_cost = 4\n`);
  const server = await startTestServer({ projectDir: dir, ...(options.env ? { env: options.env } : {}) });
  return {
    ...server,
    dir,
    client: server.client.bind(server),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function table(name: string, values: TomlTable): string {
  const lines = Object.entries(values).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
  return `[${name}]\n${lines.join("\n")}`;
}

/** The password of the CRM seed users (created with pgcrypto `crypt()` in seed.sql). */
export const SEED_PASSWORD = "TestPass123!";

/** A JSON response: status, headers and the parsed body. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  readonly body: any;
}

/**
 * One request to `/auth/v1` with auth-js's headers (apikey, `X-Supabase-Api-Version`) unless
 * overridden; `token` goes into `Authorization: Bearer`, `raw` is sent as the body unchanged.
 */
export async function api(
  server: TestServer,
  method: string,
  pathAndQuery: string,
  options: {
    body?: unknown;
    raw?: string;
    token?: string | null;
    headers?: Record<string, string>;
    redirect?: "follow" | "manual";
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {
    apikey: server.anonKey,
    "x-supabase-api-version": "2024-01-01",
    "content-type": "application/json;charset=UTF-8",
    ...options.headers,
  };
  const token = options.token === undefined ? server.anonKey : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${server.url}/auth/v1${pathAndQuery}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    redirect: options.redirect ?? "follow",
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** Signs in with a password through the raw API and returns the session body. */
export async function passwordSignIn(
  server: TestServer,
  email: string,
  password: string,
): Promise<ApiResponse> {
  return api(server, "POST", "/token?grant_type=password", { body: { email, password } });
}

/** Decodes a JWT's payload without verifying it (tests inspect what the server signed). */
export function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Signs arbitrary claims with a secret (the project's, or another to forge). */
export function signToken(claims: Record<string, unknown>, secret: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

/** The newest message in the local outbox for an address. */
export async function latestMail(
  server: TestServer,
  to: string,
): Promise<{ kind: string; subject: string; action_link: string; otp: string; html: string } | undefined> {
  const { rows } = await server.database.query(
    "select kind, subject, action_link, otp, html from groundwork.mail_outbox where to_address = $1 order by id desc limit 1",
    [to],
  );
  return rows[0] as
    | { kind: string; subject: string; action_link: string; otp: string; html: string }
    | undefined;
}

let counter = 0;
/** A fresh address per call, so tests in one file never collide. */
export function uniqueEmail(prefix = "user"): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}.${counter}@example.com`;
}
