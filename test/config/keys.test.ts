import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { listen } from "../../src/http/server.js";
import { generateApiKey } from "../../src/ops/keys/api-keys.js";
import { runCli } from "../harness/cli.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

const SECRET = "a-project-secret-that-is-at-least-32-characters";

describe("opaque API key configuration", () => {
  it("replaces the CLI's fixed pair with configured keys, several secret keys at once", async () => {
    const publishable = generateApiKey("publishable");
    const secrets = [generateApiKey("secret"), generateApiKey("secret")];
    const config = await loadConfig(EXAMPLE_PROJECT, {
      GROUNDWORK_PUBLISHABLE_KEYS: publishable,
      GROUNDWORK_SECRET_KEYS: secrets.join(","),
    });
    expect(config.jwt).toMatchObject({
      publishableKeys: [publishable],
      secretKeys: secrets,
      isWellKnownApiKeys: false,
    });
  });

  it("refuses a malformed key without echoing it", async () => {
    const leaked = "sb_secret_short";
    const error = await loadConfig(EXAMPLE_PROJECT, { GROUNDWORK_SECRET_KEYS: leaked }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('a key "sb_secret_…"');
    expect((error as Error).message).not.toContain(leaked);
  });

  it("refuses the fixed local keys off loopback, even with a JWT secret of its own", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {
      GROUNDWORK_API_HOST: "0.0.0.0",
      GROUNDWORK_API_PORT: "0",
      GROUNDWORK_JWT_SECRET: SECRET,
    });
    const app = { listen: () => Promise.reject(new Error("must not listen")) } as unknown as Parameters<
      typeof listen
    >[0];
    await expect(listen(app, config)).rejects.toThrow(/fixed local API keys/);
  });

  it("groundwork gen api-keys prints new keys as environment variables", async () => {
    const result = await runCli(["gen", "api-keys", "--secret-keys", "3"]);
    expect(result.code).toBe(0);
    const lines = Object.fromEntries(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => line.split("=", 2)),
    );
    expect(lines.GROUNDWORK_PUBLISHABLE_KEYS).toMatch(/^sb_publishable_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
    const secrets = (lines.GROUNDWORK_SECRET_KEYS as string).split(",");
    expect(secrets).toHaveLength(3);
    expect(new Set(secrets).size).toBe(3);
    for (const key of secrets) expect(key).toMatch(/^sb_secret_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
  });
});
