import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

/** `groundwork` from source, as test/harness/cli.ts runs it. */
const CLI_MAIN = path.resolve(new URL("../../src/cli/main.ts", import.meta.url).pathname);

/** The example project's migrations (issue 5 added its tenancy and audit migrations). */
const MIGRATIONS = readdirSync(path.join(EXAMPLE_PROJECT, "supabase", "migrations")).filter((f) =>
  f.endsWith(".sql"),
);

let database: TestDatabase;
let project: TempProject;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  project = tempProject({ copyExample: true });
  env = { DATABASE_URL: database.adminUrl, GROUNDWORK_API_PORT: String(await freePort()) };
});
afterAll(async () => {
  await runCli(["stop", "--workdir", project.dir], env);
  project.remove();
  await database.drop();
});

describe("a configured DATABASE_URL", () => {
  it("runs the stack against that server without starting an embedded cluster", async () => {
    const started = await runCli(["start", "--detach", "--workdir", project.dir], env);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain(
      `${MIGRATIONS.length} migration(s) not applied yet: run \`groundwork migration up\``,
    );
    expect(existsSync(path.join(project.dir, ".groundwork", "db"))).toBe(false);
    // The password of the configured URL is masked in the banner's Database table.
    const { port } = new URL(database.adminUrl);
    expect(started.stdout).toMatch(
      new RegExp(`│ URL │ postgresql://postgres:\\*{4}@127\\.0\\.0\\.1:${port}/${database.name} +│\n`),
    );
    const ready = await fetch(`http://127.0.0.1:${env.GROUNDWORK_API_PORT}/ready`);
    expect(await ready.json()).toEqual({ status: "ready" });

    const up = await runCli(["migration", "up", "--workdir", project.dir], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`Applied ${MIGRATIONS.length} migration(s).`);
    const { rows } = await database.query(
      "select count(*)::int as n from supabase_migrations.schema_migrations",
    );
    expect(rows[0]).toEqual({ n: MIGRATIONS.length });
    const list = await runCli(["migration", "list", "--json", "--workdir", project.dir], env);
    expect(JSON.parse(list.stdout).map((m: { state: string }) => m.state)).toEqual(
      MIGRATIONS.map(() => "applied"),
    );

    expect((await runCli(["stop", "--workdir", project.dir], env)).code).toBe(0);
    // Five CLI processes in a row, each a tsx start-up: minutes on a loaded 2-core machine.
  }, 180_000);

  it("starts in the foreground in a project that has no .groundwork folder yet", async () => {
    const fresh = tempProject({ copyExample: true });
    const freshEnv = { ...env, GROUNDWORK_API_PORT: String(await freePort()) };
    const child = spawn(process.execPath, ["--import", "tsx", CLI_MAIN, "start", "--workdir", fresh.dir], {
      env: { ...process.env, ...freshEnv, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      expect(existsSync(path.join(fresh.dir, ".groundwork"))).toBe(false);
      const stateFile = path.join(fresh.dir, ".groundwork", "state.json");
      const deadline = Date.now() + 45_000;
      while (!existsSync(stateFile) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(existsSync(stateFile), output).toBe(true);
      expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({ pid: child.pid, embedded: false });

      const status = await runCli(["status", "--workdir", fresh.dir], freshEnv);
      expect(status.code, status.stderr).toBe(0);
      expect((await runCli(["stop", "--workdir", fresh.dir], freshEnv)).code).toBe(0);
      expect(await exited).toBe(0);
      expect(existsSync(stateFile)).toBe(false);
    } finally {
      child.kill("SIGKILL");
      fresh.remove();
    }
  }, 120_000);

  it("rejects a --db-url that is not a PostgreSQL URL", async () => {
    const result = await runCli(["migration", "list", "--db-url", "mysql://x@y/z", "--workdir", project.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "The database URL is not usable: its scheme is mysql: (expected postgresql:)",
    );
  });
});
