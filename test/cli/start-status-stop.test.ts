import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { testClient } from "../harness/server.js";

let project: TempProject;
let env: Record<string, string>;

beforeAll(async () => {
  // A copy of the example project, as a newcomer would have it: Supabase CLI layout, unmodified.
  project = tempProject({ copyExample: true });
  env = {
    GROUNDWORK_API_PORT: String(await freePort()),
    GROUNDWORK_DB_PORT: String(await freePort()),
    GROUNDWORK_MAIL_PORT: String(await freePort()),
  };
});
afterAll(async () => {
  await runCli(["stop", "--workdir", project.dir], env);
  project.remove();
});

describe("groundwork start --detach / status / stop", () => {
  it("starts, prints URLs and keys, serves, reports status, and stops", async () => {
    const started = await runCli(["start", "--detach", "--workdir", project.dir], env);
    expect(started.stderr).not.toContain("Error");
    expect(started.code).toBe(0);
    // The current Supabase CLI's layout: titled tables, the opaque keys, no legacy JWT keys.
    expect(started.stdout).toMatch(
      new RegExp(`│ Project URL\\s+│ http://127\\.0\\.0\\.1:${env.GROUNDWORK_API_PORT}\\s+│`),
    );
    const api = `http://127\\.0\\.0\\.1:${env.GROUNDWORK_API_PORT}`;
    expect(started.stdout).toMatch(new RegExp(`│ Storage\\s+│ ${api}/storage/v1\\s+│`));
    expect(started.stdout).toMatch(new RegExp(`│ Realtime\\s+│ ws${api.slice(4)}/realtime/v1\\s+│`));
    expect(started.stdout).toMatch(new RegExp(`│ Edge Functions │ ${api}/functions/v1\\s+│`));
    expect(started.stdout).toMatch(/│ Publishable │ sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH\s+│/);
    expect(started.stdout).toMatch(/│ Secret {6}│ sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz\s+│/);
    expect(started.stdout).toMatch(/│ URL │ postgresql:\/\/postgres:\*\*\*\*@127\.0\.0\.1:/);
    expect(existsSync(path.join(project.dir, ".groundwork", "db", "PG_VERSION"))).toBe(true);

    const status = await runCli(["status", "-o", "env", "--workdir", project.dir], env);
    expect(status.code).toBe(0);
    const vars = Object.fromEntries(
      status.stdout
        .trim()
        .split("\n")
        .map((line) => {
          const [name, value] = line.split("=", 2) as [string, string];
          return [name, JSON.parse(value)];
        }),
    );
    expect(Object.keys(vars)).toEqual(
      expect.arrayContaining([
        "API_URL",
        "DB_URL",
        "PUBLISHABLE_KEY",
        "SECRET_KEY",
        "JWT_SECRET",
        "ANON_KEY",
        "SERVICE_ROLE_KEY",
      ]),
    );
    expect(vars.PUBLISHABLE_KEY).toBe("sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH");
    expect(vars.SECRET_KEY).toBe("sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz");
    expect(vars.MAILPIT_URL).toBe(`http://127.0.0.1:${env.GROUNDWORK_MAIL_PORT}`);
    expect(vars.INBUCKET_URL).toBe(vars.MAILPIT_URL);
    expect(vars.FUNCTIONS_URL).toBe(`${vars.API_URL}/functions/v1`);
    expect(await (await fetch(`${vars.MAILPIT_URL}/api/v1/messages`)).json()).toMatchObject({ messages: [] });
    expect(vars.DB_URL).toBe(`postgresql://postgres:postgres@127.0.0.1:${env.GROUNDWORK_DB_PORT}/postgres`);

    const health = await fetch(`${vars.API_URL}/health`);
    expect(await health.json()).toEqual({ status: "ok" });
    // A project that knows only the keys of its .env: the publishable key reads as anon.
    const client = testClient(vars.API_URL, vars.PUBLISHABLE_KEY);
    const { error } = await client.from("contacts").select("id");
    expect(error).toBeNull();

    const json = await runCli(["status", "-o", "json", "--workdir", project.dir], env);
    const statusJson = JSON.parse(json.stdout);
    expect(statusJson).toMatchObject(vars);
    expect(statusJson.report.serverVersion).toMatch(/^\d+/);

    const again = await runCli(["start", "--workdir", project.dir], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already running");

    const stopped = await runCli(["stop", "--workdir", project.dir], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain("Stopped Groundwork");
    const after = await runCli(["status", "--workdir", project.dir], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("not running");
  });

  it("keeps the data across restarts and restarts fast", async () => {
    const started = await runCli(["start", "--detach", "--workdir", project.dir], env);
    expect(started.code).toBe(0);
    await runCli(["stop", "--workdir", project.dir], env);
  });

  it("explains a port that is already taken", async () => {
    const net = await import("node:net");
    const blocker = net.createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(Number(env.GROUNDWORK_DB_PORT), "127.0.0.1", resolve),
    );
    try {
      const result = await runCli(["start", "--detach", "--workdir", project.dir], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${env.GROUNDWORK_DB_PORT} is already in use`);
      expect(result.stderr).toContain("[db] port in supabase/config.toml");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
