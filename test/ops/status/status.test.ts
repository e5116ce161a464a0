import { appendFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCredentials } from "../../../src/db/database-url.js";
import { logOperation } from "../../../src/ops/operations-log.js";
import { readRecentOperations } from "../../../src/ops/status/operations.js";
import { readStatusReport, type StatusReport } from "../../../src/ops/status/report.js";
import { runCli } from "../../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type TempProject, tempProject } from "../../harness/project.js";

const PASSWORD_IN_URL = /:\/\/[^:/\s]+:(postgres|s3cret)@/;

describe("groundwork status report", () => {
  let db: TestDatabase;
  let project: TempProject;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase("crm");
    // Inserted on a connection of its own, closed after, so its statistics are flushed.
    const writer = new pg.Client({ connectionString: db.adminUrl });
    await writer.connect();
    await writer.query(
      `insert into public.organizations (tenant_id, name)
       select '00000000-0000-4000-8000-00000000a001', 'Org ' || g from generate_series(1, 25) g`,
    );
    await writer.query("update public.products set active = false where sku = 'ACME-OAT-1L'");
    await writer.query("delete from public.notes where id = (select min(id) from public.notes)");
    await writer.end();
    project = tempProject({ copyExample: true });
    project.write("groundwork.toml", '[targets.staging]\nurl_env = "STAGING_DB_URL"\n');
    env = { STAGING_DB_URL: db.adminUrl, DATABASE_URL: "" };
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    project?.remove();
  });

  /** The report once the statistics of the writes above are visible (they are flushed asynchronously). */
  async function settledReport(): Promise<StatusReport> {
    for (let attempt = 0; ; attempt++) {
      const report = await readStatusReport(db.adminUrl, ["public"]);
      const organizations = report.tables.find((t) => t.table === "public.organizations");
      if ((organizations?.inserted ?? 0) >= 25 || attempt >= 40) return report;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("reports server, size, tables with exact rows and write counts, users, connections, migrations", async () => {
    const report = await settledReport();
    expect(report.serverVersion).toMatch(/^\d+\.\d+/);
    expect(report.sizeBytes).toBeGreaterThan(1_000_000);
    expect(report.database).not.toMatch(PASSWORD_IN_URL);
    expect(report.database).toContain(db.name);

    const counts = await db.query<{ table: string; n: string }>(
      `select 'public.' || relname as table,
              (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from public.%I', relname), false, true, '')))[1]::text as n
       from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`,
    );
    expect(report.tables.map((t) => [t.table, t.rows])).toEqual(
      counts.rows.map((r) => [r.table, Number(r.n)]),
    );
    expect(report.tables.every((t) => t.exact)).toBe(true);
    const organizations = report.tables.find((t) => t.table === "public.organizations");
    expect(organizations?.rows).toBe(29);
    expect(organizations?.inserted).toBeGreaterThanOrEqual(25);
    expect(report.tables.find((t) => t.table === "public.products")?.updated).toBeGreaterThanOrEqual(1);
    expect(report.tables.find((t) => t.table === "public.notes")?.deleted).toBeGreaterThanOrEqual(1);

    expect(report.authUsers).toBe(4);
    expect(report.connections.used).toBeGreaterThanOrEqual(1);
    expect(report.connections.byState.active).toBeGreaterThanOrEqual(1);
    expect(report.connections.max).toBe(300);
    expect(report.cacheHitRatio).toBeGreaterThan(0);
    expect(report.cacheHitRatio).toBeLessThanOrEqual(1);
    expect(report.migrations.map((m) => m.version)).toEqual([
      "20250101000000",
      "20250101000100",
      "20250101000300",
      "20250101000400",
    ]);
  });

  it("reads the last lines of the operations log, skipping a torn line", () => {
    const stateDir = `${project.dir}/.groundwork-log-test`;
    for (let i = 1; i <= 12; i++) {
      logOperation(stateDir, { what: `op ${i}`, target: "local", outcome: "ok" });
      if (i === 6) appendFileSync(`${stateDir}/operations.jsonl`, '{"what": "torn by a crash\n');
    }
    const entries = readRecentOperations(stateDir, 10);
    expect(entries.map((e) => e.what)).toEqual(Array.from({ length: 10 }, (_, i) => `op ${i + 3}`));
    expect(entries[0]?.who).toBeTruthy();
    expect(entries[0]?.when).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(readRecentOperations(`${project.dir}/nowhere`)).toEqual([]);
  });

  it("prints the report for --db-url / --target without a running stack, masked, with -o json", async () => {
    const secretUrl = withCredentials(db.adminUrl, "postgres", "postgres");
    logOperation(`${project.dir}/.groundwork`, {
      what: "sync push",
      target: "staging",
      outcome: "ok",
      backupFile: "backups/20261122T000000Z_staging.gwbackup",
    });
    const pretty = await runCli(["status", "--db-url", secretUrl, "--workdir", project.dir], env);
    expect(pretty.stderr).toBe("");
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/Server: PostgreSQL \d+/);
    expect(pretty.stdout).toMatch(/Auth users: 4/);
    expect(pretty.stdout).toMatch(/Connections: \d+ of 300 used \(.*active \d+/);
    expect(pretty.stdout).toMatch(/Migrations: 4 applied, latest 20250101000400_attachments/);
    expect(pretty.stdout).toMatch(/public\.organizations\s+29\s+\d+/);
    expect(pretty.stdout).toMatch(
      /sync push\s+staging\s+ok\s+\S+\s+backups\/20261122T000000Z_staging\.gwbackup/,
    );
    expect(pretty.stdout).toContain("postgres:****@");
    expect(pretty.stdout).not.toMatch(PASSWORD_IN_URL);

    const json = await runCli(["status", "--target", "staging", "-o", "json", "--workdir", project.dir], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      target: string;
      report: StatusReport;
      operations: { what: string }[];
    };
    expect(parsed.target).toBe("staging");
    expect(Object.keys(parsed.report).sort()).toEqual(
      [
        "authUsers",
        "cacheHitRatio",
        "connections",
        "database",
        "migrations",
        "serverVersion",
        "size",
        "sizeBytes",
        "tables",
      ].sort(),
    );
    expect(parsed.report.tables.find((t) => t.table === "public.organizations")?.rows).toBe(29);
    expect(parsed.operations.at(-1)?.what).toBe("sync push");
    expect(json.stdout).not.toMatch(PASSWORD_IN_URL);

    const env_ = await runCli(["status", "--target", "staging", "-o", "env", "--workdir", project.dir], env);
    expect(env_.code).toBe(2);
    const local = await runCli(["status", "--workdir", project.dir], env);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/not running/);
    const unreachable = await runCli(
      ["status", "--db-url", "postgresql://postgres:s3cret@127.0.0.1:1/postgres", "--workdir", project.dir], // groundwork:allow (a fake for the test)
      env,
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Could not read the database's status/);
    expect(unreachable.stderr).not.toMatch(PASSWORD_IN_URL);
  }, 120_000);
});
