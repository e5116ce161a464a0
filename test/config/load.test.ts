import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, WELL_KNOWN_JWT_SECRET } from "../../src/config/index.js";
import { WELL_KNOWN_ANON_KEY, WELL_KNOWN_SERVICE_ROLE_KEY } from "../../src/config/jwt-keys.js";
import { parseByteSize } from "../../src/config/reader.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

let project: TempProject | null = null;
afterEach(() => {
  project?.remove();
  project = null;
});

async function loadError(
  configToml: string,
  env: NodeJS.ProcessEnv = {},
  extra?: [string, string],
): Promise<ConfigError> {
  project = tempProject({ configToml });
  if (extra) project.write(extra[0], extra[1]);
  const error = await loadConfig(project.dir, env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadConfig", () => {
  it("reads the example project's Supabase config, accepting keys it does not use", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {});
    expect(config.projectId).toBe("crm");
    expect(config.api).toMatchObject({ port: 54321, schemas: ["public", "graphql_public"], maxRows: 1000 });
    expect(config.db).toMatchObject({ port: 54322, majorVersion: 17, url: null });
    expect(config.auth).toMatchObject({ jwtExpiry: 3600, enableSignup: true, refreshTokenReuseInterval: 10 });
    expect(config.storage.fileSizeLimit).toBe(50 * 1024 * 1024);
    expect(config.storage.buckets.attachments).toMatchObject({
      public: false,
      fileSizeLimit: 10 * 1024 * 1024,
    });
    expect(config.seedPaths[0]).toMatch(/examples\/crm\/supabase\/seed\.sql$/);
  });

  it("is frozen, deeply", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api.schemas)).toBe(true);
    expect(() => {
      (config.api as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it("uses the Supabase CLI's well-known local secret and keys by default", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {});
    expect(config.jwt).toEqual({
      secret: WELL_KNOWN_JWT_SECRET,
      anonKey: WELL_KNOWN_ANON_KEY,
      serviceRoleKey: WELL_KNOWN_SERVICE_ROLE_KEY,
      isWellKnownSecret: true,
      signingKeysPath: null,
      signingKeys: [],
      publishableKeys: ["sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH"],
      secretKeys: ["sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"],
      isWellKnownApiKeys: true,
    });
  });

  it("signs its own keys for a configured secret", async () => {
    const secret = "a-project-secret-that-is-at-least-32-characters";
    const config = await loadConfig(EXAMPLE_PROJECT, { GROUNDWORK_JWT_SECRET: secret });
    expect(config.jwt.isWellKnownSecret).toBe(false);
    expect(config.jwt.anonKey).not.toBe(WELL_KNOWN_ANON_KEY);
    const payload = JSON.parse(
      Buffer.from(config.jwt.serviceRoleKey.split(".")[1] as string, "base64url").toString(),
    );
    expect(payload.role).toBe("service_role");
  });

  it("takes the database URL from DATABASE_URL", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {
      DATABASE_URL: "postgresql://u:p@db.example:5432/app", // groundwork:allow (a fake for the test)
    });
    expect(config.db.url).toBe("postgresql://u:p@db.example:5432/app"); // groundwork:allow (a fake for the test)
  });

  it("resolves env(NAME) values and names a missing variable", async () => {
    project = tempProject({ configToml: '[auth]\nsite_url = "env(SITE)"\n' });
    const config = await loadConfig(project.dir, { SITE: "https://app.example" });
    expect(config.auth.siteUrl).toBe("https://app.example");
    const error = await loadError('[auth]\nsite_url = "env(MISSING_SITE)"\n');
    expect(error.message).toBe(
      "supabase/config.toml: auth.site_url: expected environment variable MISSING_SITE to be set, found it unset",
    );
  });

  it.each([
    [
      '[api]\nport = "fast"\n',
      'supabase/config.toml: api.port: expected an integer >= 0 <= 65535, found the string "fast"',
    ],
    [
      "[api]\nport = 70000\n",
      "supabase/config.toml: api.port: expected an integer >= 0 <= 65535, found the number 70000",
    ],
    [
      '[api]\nschemas = "public"\n',
      'supabase/config.toml: api.schemas: expected an array of strings, found the string "public"',
    ],
    [
      '[auth]\nenable_signup = "yes"\n',
      'supabase/config.toml: auth.enable_signup: expected true or false, found the string "yes"',
    ],
    [
      "[auth]\njwt_expiry = 1.5\n",
      "supabase/config.toml: auth.jwt_expiry: expected an integer >= 30 <= 604800, found the number 1.5",
    ],
    ["api = 3\n", "supabase/config.toml: api: expected a table, found the number 3"],
    [
      '[storage]\nfile_size_limit = "lots"\n',
      'supabase/config.toml: storage.file_size_limit: expected a size such as "50MiB", "5MB" or a number of bytes, found the string "lots"',
    ],
  ])("names the file, key, expectation and value for %j", async (toml, message) => {
    const error = await loadError(toml);
    expect(error.message).toBe(message);
  });

  it("reports malformed TOML with its line and column", async () => {
    const error = await loadError('project_id = "x"\n[api\nport = 1\n');
    expect(error.file).toBe("supabase/config.toml:2:5");
    expect(error.key).toBe("(syntax)");
    expect(error.message).toMatch(/^supabase\/config\.toml:2:5: \(syntax\): expected valid TOML, found /);
  });

  it("explains a missing project folder", async () => {
    project = tempProject({});
    const error = await loadConfig(project.dir, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("groundwork init");
  });

  it("validates groundwork.toml, Groundwork's own settings", async () => {
    const error = await loadError("", {}, [
      "groundwork.toml",
      '[targets.production]\nurl = "postgres://x"\n',
    ]);
    expect(error.message).toBe(
      "groundwork.toml: targets.production.url_env: expected the name of the environment variable that holds the database URL, found nothing",
    );
    project?.remove();
    project = tempProject({ configToml: "" });
    project.write("groundwork.toml", '[targets.production]\nurl_env = "PROD_DB_URL"\n[db]\npool_size = 4\n');
    const config = await loadConfig(project.dir, {});
    expect(config.targets.production).toEqual({ name: "production", urlEnv: "PROD_DB_URL" });
    expect(config.db.poolSize).toBe(4);
  });

  it("requires a custom access token hook to be a Postgres function", async () => {
    const error = await loadError(
      '[auth.hook.custom_access_token]\nenabled = true\nuri = "https://hooks.example/token"\n',
    );
    expect(error.key).toBe("auth.hook.custom_access_token.uri");
  });

  it.each([
    ['uri = "https://hooks.example.com/send"', "an HTTP hook"],
    ['uri = "pg-functions://postgres/public/send-email"', "a function name GoTrue refuses"],
    ["", "no URI"],
  ])("refuses an enabled send_email hook with %s (%s), naming the key", async (uriLine) => {
    const error = await loadError(`[auth.hook.send_email]\nenabled = true\n${uriLine}\n`);
    expect(error.key).toBe("auth.hook.send_email.uri");
  });

  it("applies [auth.rate_limit] email_sent only with [auth.email.smtp] enabled, as the Supabase CLI", async () => {
    project = tempProject({ configToml: "[auth.rate_limit]\nemail_sent = 2\n" });
    expect((await loadConfig(project.dir, {})).auth.rateLimit.emailSent).toBe(360_000);
    project.remove();
    project = tempProject({
      configToml:
        '[auth.rate_limit]\nemail_sent = 2\n[auth.email.smtp]\nenabled = true\nhost = "smtp.example.com"\n',
    });
    expect((await loadConfig(project.dir, {})).auth.rateLimit.emailSent).toBe(2);
  });

  it("reads [auth.sms] with its test numbers (written with or without +) and sms_sent", async () => {
    project = tempProject({
      configToml:
        '[auth.rate_limit]\nsms_sent = 7\n[auth.sms]\nenable_signup = true\nenable_confirmations = true\nmax_frequency = "1m30s"\n[auth.sms.test_otp]\n4152127777 = "123456"\n"+44 7700 900123" = "000111"\n',
    });
    const config = await loadConfig(project.dir, {});
    expect(config.auth.sms).toEqual({
      enableSignup: true,
      enableConfirmations: true,
      maxFrequency: 90,
      otpLength: 6,
      otpExpiry: 6000,
      testOtp: { "4152127777": "123456", "447700900123": "000111" },
      smsSent: 7,
    });
  });

  it.each([
    ['[auth.sms.test_otp]\n"not a number" = "123456"\n', 'auth.sms.test_otp."not a number"'],
    ['[auth.sms.test_otp]\n4152127777 = "12ab"\n', 'auth.sms.test_otp."4152127777"'],
    ['[auth.sms]\nmax_frequency = "soon"\n', "auth.sms.max_frequency"],
  ])("refuses %j, naming %s", async (toml, key) => {
    const error = await loadError(toml);
    expect(error.key).toBe(key);
  });

  it("reads every Postgres-function hook the Supabase CLI writes; disabled ones are null", async () => {
    const toml = [
      "password_verification_attempt",
      "mfa_verification_attempt",
      "before_user_created",
      "send_sms",
    ]
      .map(
        (name) => `[auth.hook.${name}]\nenabled = true\nuri = "pg-functions://postgres/public/${name}_fn"\n`,
      )
      .join("\n");
    project = tempProject({
      configToml: `${toml}\n[auth.hook.send_email]\nenabled = false\nuri = "https://x"\n`,
    });
    const config = await loadConfig(project.dir, {});
    expect(config.auth.hooks).toEqual({
      custom_access_token: null,
      send_email: null,
      send_sms: { uri: "pg-functions://postgres/public/send_sms_fn" },
      password_verification_attempt: {
        uri: "pg-functions://postgres/public/password_verification_attempt_fn",
      },
      mfa_verification_attempt: { uri: "pg-functions://postgres/public/mfa_verification_attempt_fn" },
      before_user_created: { uri: "pg-functions://postgres/public/before_user_created_fn" },
    });
  });

  it("rejects a short JWT secret", async () => {
    const error = await loadError('[auth]\njwt_secret = "short"\n');
    expect(error.message).toBe(
      "supabase/config.toml: auth.jwt_secret: expected a secret of at least 32 characters, found 5 characters",
    );
  });
});

describe("parseByteSize", () => {
  it.each([
    ["50MiB", 50 * 1024 ** 2],
    ["5MB", 5 * 1024 ** 2],
    ["30KB", 30 * 1024],
    ["3B", 3],
    ["1GiB", 1024 ** 3],
    ["12", 12],
    ["1.5MB", 1.5 * 1024 ** 2],
  ])("%s is %d bytes", (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it("rejects what is not a size", () => {
    expect(parseByteSize("10 parsecs")).toBeNull();
    expect(parseByteSize("")).toBeNull();
  });
});
