import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { type TempProject, tempProject } from "../harness/project.js";

let project: TempProject | null = null;
afterEach(() => {
  project?.remove();
  project = null;
});

async function load(groundworkToml: string, env: NodeJS.ProcessEnv = {}) {
  project = tempProject({ configToml: 'project_id = "proxies"\n' });
  project.write("groundwork.toml", groundworkToml);
  return loadConfig(project.dir, env);
}

describe("[api] trusted_proxies", () => {
  it("defaults to none", async () => {
    expect((await load("")).api.trustedProxies).toEqual([]);
  });

  it("reads addresses and CIDRs, v4 and v6; GROUNDWORK_TRUSTED_PROXIES wins", async () => {
    const toml = '[api]\ntrusted_proxies = ["10.0.0.0/8", "192.168.1.10", "fd00::/8"]\n';
    expect((await load(toml)).api.trustedProxies).toEqual(["10.0.0.0/8", "192.168.1.10", "fd00::/8"]);
    expect(
      (await load(toml, { GROUNDWORK_TRUSTED_PROXIES: "172.16.0.0/12, ::1" })).api.trustedProxies,
    ).toEqual(["172.16.0.0/12", "::1"]);
  });

  it.each(["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "", "fd00::/129", "10.0.0.0/x", "１０.0.0.1"])(
    "refuses %j, naming the key",
    async (entry) => {
      const error = await load(`[api]\ntrusted_proxies = [${JSON.stringify(entry)}]\n`).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("api.trusted_proxies[0]");
      expect((error as Error).message).toContain("groundwork.toml");
    },
  );
});

describe("[metrics] bearer_token", () => {
  it("defaults to none; reads env(NAME); GROUNDWORK_METRICS_TOKEN wins", async () => {
    expect((await load("")).metrics.bearerToken).toBeNull();
    const toml = '[metrics]\nbearer_token = "env(SCRAPE_TOKEN)"\n';
    expect((await load(toml, { SCRAPE_TOKEN: "s3cret-token-été-1234" })).metrics.bearerToken).toBe(
      "s3cret-token-été-1234",
    );
    expect(
      (await load(toml, { SCRAPE_TOKEN: "x".repeat(16), GROUNDWORK_METRICS_TOKEN: "y".repeat(20) })).metrics
        .bearerToken,
    ).toBe("y".repeat(20));
  });

  it("refuses a short token without printing it", async () => {
    const error = await load('[metrics]\nbearer_token = "short-secret"\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("metrics.bearer_token");
    expect((error as Error).message).not.toContain("short-secret");
  });
});
