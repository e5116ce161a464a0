import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { runRlsMatrix } from "../../../src/ops/rls-matrix/index.js";
import { runCli } from "../../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { EXAMPLE_PROJECT } from "../../harness/templates.js";

const TABLES = [
  "public.activities",
  "public.contacts",
  "public.notes",
  "public.opportunities",
  "public.organizations",
  "public.products",
  "public.sales",
  "public.tasks",
];

/** Everything the matrix could touch, as one fingerprint (superuser view). */
async function fingerprint(database: TestDatabase): Promise<string> {
  const parts: string[] = [];
  for (const table of [...TABLES, "groundwork.tenants", "groundwork.memberships", "auth.users"]) {
    const { rows } = await database.query<{ f: string }>(
      `select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') as f from ${table} t`,
    );
    parts.push(`${table}=${rows[0]?.f}`);
  }
  return parts.join("\n");
}

describe("groundwork test rls on the example CRM", () => {
  let database: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-rls-"));
  beforeAll(async () => {
    database = await createTestDatabase("crm");
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("proves every cell of the declared matrix and leaves the database as it was", async () => {
    const before = await fingerprint(database);
    const config = await loadConfig(EXAMPLE_PROJECT, {});
    const result = await runRlsMatrix(database.adminUrl, { config });
    expect(result.tables.map((t) => t.table)).toEqual(TABLES);
    expect(result.roles).toEqual(["admin", "sales_director", "account_manager"]);
    expect(result.warnings).toEqual([]);
    const failed = result.cells.filter((c) => !c.pass);
    expect(failed).toEqual([]);
    // 3 roles x every table x every probe x own / same tenant / other tenant, plus anon.
    for (const table of TABLES) {
      const cells = result.cells.filter((c) => c.table === table);
      for (const role of [...result.roles, "anon"]) {
        for (const probe of ["select", "insert", "update", "delete"]) {
          expect(
            cells.some((c) => c.role === role && c.probe === probe),
            `${table} ${role} ${probe}`,
          ).toBe(true);
        }
      }
      // Nobody moves a row to another tenant, and no other tenant's row is reachable.
      expect(cells.filter((c) => c.probe === "move").every((c) => c.observed.outcome === "denied")).toBe(
        true,
      );
      expect(cells.filter((c) => c.kind === "other").every((c) => c.observed.outcome === "denied")).toBe(
        true,
      );
    }
    expect(result.cells.length).toBeGreaterThan(400);
    // The three ways a denial shows: an error, a WITH CHECK violation, or silently no row.
    const hows = new Set(
      result.cells.filter((c) => c.observed.outcome === "denied").map((c) => c.observed.how),
    );
    expect(hows).toContain("42501 row-level security (WITH CHECK)");
    expect(hows).toContain("0 rows (silently filtered)");
    expect(hows).toContain("not visible");
    expect(await fingerprint(database)).toBe(before);
  });

  it("counts a list refused for want of a grant as no row seen (anon's grants revoked)", async () => {
    const copy = await createTestDatabase("crm");
    try {
      await copy.query("revoke all on public.products from anon");
      const config = await loadConfig(EXAMPLE_PROJECT, {});
      const result = await runRlsMatrix(copy.adminUrl, { config, tables: ["public.products"] });
      const anonList = result.cells.find((c) => c.role === "anon" && c.probe === "list");
      expect(anonList?.observed).toMatchObject({ outcome: "denied", how: "42501 permission denied" });
      expect(result.cells.filter((c) => !c.pass)).toEqual([]);
    } finally {
      await copy.drop();
    }
  });

  it("prints the matrix, writes JUnit and JSON, and exits 0 (CLI, --db-url)", async () => {
    const junit = path.join(dir, "rls.xml");
    const result = await runCli([
      "test",
      "rls",
      "--workdir",
      EXAMPLE_PROJECT,
      "--db-url",
      database.adminUrl,
      "--json",
      "--junit",
      junit,
    ]);
    expect(result.stderr).not.toContain("Error");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { summary: { cells: number; failed: number } };
    expect(report.summary.failed).toBe(0);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain(
      `<testsuites name="groundwork test rls" tests="${report.summary.cells}" failures="0"`,
    );
    expect(xml).toContain(
      '<testcase classname="public.contacts" name="account_manager select other -&gt; denied"/>',
    );
  });

  it("runs against a --target read from the environment variable it names", async () => {
    const project = path.join(dir, "project");
    cpSync(path.join(EXAMPLE_PROJECT, "supabase"), path.join(project, "supabase"), { recursive: true });
    writeFileSync(path.join(project, "groundwork.toml"), '[targets.staging]\nurl_env = "STAGING_DB_URL"\n');
    const missing = await runCli(["test", "rls", "--workdir", project, "--target", "staging"], {
      STAGING_DB_URL: "",
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("STAGING_DB_URL");
    const run = await runCli(
      ["test", "rls", "--workdir", project, "--target", "staging", "--table", "public.contacts"],
      {
        STAGING_DB_URL: database.adminUrl,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("public.contacts");
    expect(run.stdout).toMatch(/\d+ cells: \d+ passed, 0 failed/);
  });
});

describe("groundwork test rls on deliberately broken policies", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("crm");
    await database.query(`
      -- A missing WITH CHECK: inserts may name any tenant; updates may hand rows to anyone.
      drop policy groundwork_insert on public.contacts;
      create policy "members insert contacts" on public.contacts for insert to authenticated with check (true);
      drop policy groundwork_update on public.organizations;
      create policy "members update organizations" on public.organizations for update to authenticated
        using (tenant_id = (select groundwork.active_tenant_id())) with check (true);
      -- USING (true)
      drop policy groundwork_select on public.notes;
      create policy "everyone reads notes" on public.notes for select to authenticated using (true);
      -- A policy on user_metadata, which users write themselves
      drop policy groundwork_select on public.opportunities;
      create policy "tenant from metadata" on public.opportunities for select to authenticated
        using (tenant_id = ((select auth.jwt()) -> 'user_metadata' ->> 'tenant_id')::uuid);
      -- RLS disabled
      alter table public.tasks disable row level security;`);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("exits 1 with failing cells that name each problem", async () => {
    const result = await runCli(["test", "rls", "--workdir", EXAMPLE_PROJECT, "--db-url", database.adminUrl]);
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toMatch(/FAIL public\.contacts {2}\w+ {2}insert, a row of another tenant/);
    expect(out).toContain(
      'policy "members insert contacts" (INSERT) has no WITH CHECK on tenant_id: a row can be written into another tenant',
    );
    expect(out).toContain(
      'policy "members update organizations" (UPDATE) has no WITH CHECK on sales_id: a row can be handed to another owner',
    );
    expect(out).toContain('policy "everyone reads notes" (SELECT) has USING (true)');
    expect(out).toContain(
      'policy "tenant from metadata" (SELECT) reads user_metadata, which users can change themselves with updateUser({ data })',
    );
    expect(out).toContain("row-level security is disabled on public.tasks");
    expect(out).toMatch(/FAIL public\.tasks {2}anon {2}select/);
    // The untouched tables still pass.
    expect(out).not.toMatch(/FAIL public\.(sales|products|activities) /);
    expect(out).toMatch(/\d+ cells: \d+ passed, [1-9]\d* failed/);
  });
});

describe("groundwork test: usage", () => {
  it("prints help with exit 0 and refuses a bad command line with exit 2", async () => {
    const [help, rlsHelp, unknown, both] = await Promise.all([
      runCli(["test", "--help"]),
      runCli(["test", "rls", "--help"]),
      runCli(["test", "wipe"]),
      runCli([
        "test",
        "rls",
        "--workdir",
        EXAMPLE_PROJECT,
        "--db-url",
        "postgresql://x@localhost/db",
        "--target",
        "prod",
      ]),
    ]);
    expect(help.code).toBe(0);
    // `test` has two subcommands (db, rls); its help lists both.
    expect(help.stdout).toMatch(/Usage:\s+groundwork test db .*\n\s+groundwork test rls \[options\]/);
    expect(rlsHelp.code).toBe(0);
    expect(rlsHelp.stdout).toContain("--junit FILE");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "test wipe"');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--db-url and --target name two databases");
  });
});
