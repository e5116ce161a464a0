import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

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
    // The password of the configured URL is masked in what is printed.
    expect(started.stdout).toMatch(/DB URL: postgresql:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/t_/);
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
  });

  it("rejects a --db-url that is not a PostgreSQL URL", async () => {
    const result = await runCli(["migration", "list", "--db-url", "mysql://x@y/z", "--workdir", project.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "The database URL is not usable: its scheme is mysql: (expected postgresql:)",
    );
  });
});
