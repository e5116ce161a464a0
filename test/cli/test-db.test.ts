import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresBinaries } from "../../src/db/postgres-binaries.js";
import { findPgtap, installPgtap } from "../../src/ops/pgtap/find-pgtap.js";
import { runCli } from "../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";

/** pgTAP tests as Supabase projects write them (supabase/tests/*.sql), with non-ASCII text. */
const PASSING = `begin;
select plan(3);
select has_table('public', 'notes', 'the notes table exists');
select ok(exists(select 1 from public.notes where body = 'Zoë 👋'), 'the seeded note is there');
select is(uuid_generate_v4() is not null, true, 'extensions are on the search path');
select * from finish();
rollback;
`;
const FAILING = `begin;
select plan(2);
select is(1 + 1, 2, 'arithmetic still works');
select is((select count(*)::int from public.notes), 42, 'there are 42 notes (there are not)');
select * from finish();
rollback;
`;

describe("groundwork test db", () => {
  let project: TempProject;
  let database: TestDatabase;
  beforeAll(async () => {
    // What the command does for the local database: pgTAP's files from the system installation
    // (CI installs Debian's postgresql-15-pgtap) into the embedded server's extension folder,
    // which the test cluster shares.
    const pgtap = findPgtap();
    if (!pgtap) throw new Error("pgTAP is not installed: apt-get install postgresql-15-pgtap (see .ci/run)");
    installPgtap(pgtap, postgresBinaries().extensionDir);
    database = await createTestDatabase("platform");
    await database.query(
      "create table public.notes (id serial primary key, body text); insert into public.notes (body) values ('Zoë 👋')",
    );
    project = tempProject({ configToml: 'project_id = "pgtap"\n' });
    project.write("supabase/tests/01_passing_test.sql", PASSING);
  });
  afterAll(async () => {
    await database.drop();
    project.remove();
  });

  it("runs every file, prints TAP and a summary, and exits 0 when all pass (--db-url)", async () => {
    const result = await runCli(["test", "db", "--workdir", project.dir, "--db-url", database.adminUrl]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "# supabase/tests/01_passing_test.sql\n1..3\nok 1 - the notes table exists\n",
    );
    expect(result.stdout).toContain("ok 3 - extensions are on the search path");
    expect(result.stdout).toContain("Files=1, Tests=3, Failed=0\nResult: PASS");
    // pgTAP was loaded for the run only.
    const left = await database.query("select count(*)::int as n from pg_extension where extname = 'pgtap'");
    expect(left.rows[0]).toEqual({ n: 0 });
  });

  it("exits 1 and names the failing file and test", async () => {
    project.write("supabase/tests/02_failing_test.sql", FAILING);
    try {
      const result = await runCli(["test", "db", "--workdir", project.dir, "--db-url", database.adminUrl]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("not ok 2 - there are 42 notes (there are not)");
      expect(result.stdout).toContain("# Failed: supabase/tests/02_failing_test.sql (1 failed)");
      expect(result.stdout).toContain("Files=2, Tests=5, Failed=1\nResult: FAIL");
    } finally {
      rmSync(path.join(project.dir, "supabase", "tests", "02_failing_test.sql"));
    }
  });

  it("runs against the local embedded database without --db-url", async () => {
    const local = tempProject({ configToml: 'project_id = "pgtap-local"\n' });
    try {
      local.write(
        "supabase/tests/simple_test.sql",
        "select plan(1);\nselect ok(true, 'Åland 日本 works');\nselect * from finish();\n",
      );
      const result = await runCli(
        ["test", "db", "--workdir", local.dir],
        { GROUNDWORK_DB_PORT: String(await freePort()) },
        120_000,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("ok 1 - Åland 日本 works");
      expect(result.stdout).toContain("Result: PASS");
    } finally {
      local.remove();
    }
  });

  it("says how to get pgTAP when it is not installed", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "no-pgtap-"));
    try {
      const result = await runCli(["test", "db", "--workdir", project.dir], { GROUNDWORK_PGTAP_DIR: empty });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("pgTAP is not installed on this machine");
      expect(result.stderr).toContain("sudo apt-get install postgresql-15-pgtap");
      expect(result.stderr).toContain("brew install pgtap");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
