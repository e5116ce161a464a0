import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCredentials, withDatabase } from "../../../src/db/database-url.js";
import { platformFiles } from "../../../src/platform/apply.js";
import { type CliResult, runCli } from "../../harness/cli.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { runSql, snapshotTarget } from "./target-snapshot.js";

const PASSWORD = "Deploy-Pw-93f1";
const EXAMPLE_VERSIONS = ["20250101000000", "20250101000100", "20250101000300", "20250101000400"];

describe("groundwork db push against a second cluster", () => {
  let remote: RemoteCluster;
  let project: TempProject;
  let targetUrl: string;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];

  async function push(...args: string[]): Promise<CliResult> {
    const result = await runCli(["db", "push", "--workdir", project.dir, ...args], env, 120_000);
    outputs.push(result);
    return result;
  }
  function backups(): string[] {
    const dir = path.join(project.dir, "backups");
    return existsSync(dir) ? readdirSync(dir) : [];
  }
  function log(): { what: string; outcome: string; target: string; backupFile?: string; detail?: string }[] {
    return readFileSync(path.join(project.dir, ".groundwork", "operations.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  }
  async function history(): Promise<string[]> {
    return (await snapshotTarget(targetUrl)).history.map((row) => row.split(":")[0] ?? "");
  }

  beforeAll(async () => {
    remote = await startRemoteCluster();
    await runSql(remote.url, `create role deployer login superuser password '${PASSWORD}'`);
    await runSql(remote.url, "create database staging owner deployer");
    targetUrl = withCredentials(withDatabase(remote.url, "staging"), "deployer", PASSWORD);
    project = tempProject({ copyExample: true });
    project.write("groundwork.toml", '[targets.staging]\nurl_env = "STAGING_DB_URL"\n');
    env = { STAGING_DB_URL: targetUrl, DATABASE_URL: "" };
  }, 120_000);
  afterAll(async () => {
    await remote?.stop();
    project?.remove();
  });

  it("rehearses the first push on a bare target with --dry-run: plan and validation printed, nothing changes", async () => {
    const before = await snapshotTarget(targetUrl);
    const result = await push("--target", "staging", "--dry-run");
    expect(result.stderr).not.toMatch(/failed/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Plan for staging (dry run: everything is rolled back):");
    expect(result.stdout).toContain("a bare PostgreSQL: the platform schema is installed first");
    expect(result.stdout).toContain(`platform schema: ${platformFiles().length} file(s) to install`);
    expect(result.stdout).toContain("applied: 0 migration(s); pending: 4");
    expect(result.stdout).toMatch(
      /20250101000100_tenant_isolation\.sql {2}\d+ statement\(s\), in the transaction/,
    );
    expect(result.stdout).toMatch(/ok {3}migration history matches the 4 file\(s\) \(4 applied\)/);
    expect(result.stdout).toMatch(/ok {3}db lint: 0 ERROR/);
    expect(result.stdout).toMatch(/ok {3}test rls: (\d+)\/\1 cell\(s\) passed on 8 table\(s\)/);
    expect(result.stdout).toMatch(
      /Rehearsed 4 migration\(s\) and \d+ platform file\(s\) and validated them .* rolled back/,
    );
    // Everything was rolled back: no schema, no role, no history, no database setting.
    expect(await snapshotTarget(targetUrl)).toEqual(before);
    expect(before.relations.some((r) => r.startsWith("groundwork."))).toBe(false);
    expect(backups()).toEqual([]);

    const json = await push("--db-url", targetUrl, "--dry-run", "--json");
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.outcome).toBe("rehearsed");
    expect(document.plan.pending.map((m: { version: string }) => m.version)).toEqual(EXAMPLE_VERSIONS);
    expect(document.validation.map((c: { status: string }) => c.status)).toEqual([
      "passed",
      "passed",
      "passed",
    ]);
    expect(document.committed).toBe(false);
    expect(await snapshotTarget(targetUrl)).toEqual(before);
  }, 240_000);

  it("first push installs the platform schema and every migration, after a backup it names", async () => {
    const result = await push("--target", "staging");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Pushed 4 migration\(s\) and \d+ platform file\(s\) in \d+ ms\./);
    expect(result.stdout).toMatch(/ok {3}test rls: (\d+)\/\1 cell\(s\) passed/);
    expect(result.stdout).toMatch(
      /Time: \d+ ms \(plan \d+, backup \d+, platform \d+, migrations \d+, validation \d+, commit \d+ ms\)/,
    );
    const files = backups();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/_staging\.gwbackup$/);
    expect(result.stdout).toMatch(new RegExp(`Backup: \\S*backups/${files[0]}`));
    expect(await history()).toEqual(EXAMPLE_VERSIONS);
    const after = await snapshotTarget(targetUrl);
    expect(after.platformHistory).toHaveLength(platformFiles().length);
    expect(after.relations).toContain("public.contacts:r:true");
    expect(after.searchPath).toContain("extensions");
    const entry = log().at(-1);
    expect(entry).toMatchObject({ what: "db push", target: "staging", outcome: "ok" });
    expect(entry?.backupFile).toBe(path.join(project.dir, "backups", files[0] ?? ""));
    expect(statSync(entry?.backupFile ?? "").size).toBeGreaterThan(0);

    const again = await push("--target", "staging");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("applied: 4 migration(s); pending: 0");
    expect(again.stdout).toContain("Nothing to push: the target is up to date");
    expect(backups()).toHaveLength(1);
  }, 240_000);

  it("rolls everything back when a migration fails halfway, with file:line:col and SQLSTATE", async () => {
    await runSql(targetUrl, "insert into groundwork.tenants (name, slug) values ('Keep', 'keep')");
    const before = await snapshotTarget(targetUrl);
    const good = project.write(
      "supabase/migrations/20250301000000_good.sql",
      "create table public.good_one (id int primary key);\nalter table public.good_one enable row level security;\n",
    );
    const bad = project.write(
      "supabase/migrations/20250301000100_half.sql",
      "delete from groundwork.tenants;\nselect 1 / 0;\n",
    );
    try {
      const result = await push("--target", "staging");
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("pending: 2");
      expect(result.stderr).toContain("supabase/migrations/20250301000100_half.sql:2:");
      expect(result.stderr).toContain("division by zero (SQLSTATE 22012)");
      expect(result.stderr).toContain("The push was rolled back: the target is exactly as it was before it.");
      expect(await snapshotTarget(targetUrl)).toEqual(before);
      expect(before.data.find((t) => t.schema === "groundwork" && t.name === "tenants")?.rows).toBe(1);
      expect(log().at(-1)).toMatchObject({ what: "db push", outcome: "failed" });
      expect(backups()).toHaveLength(2);
    } finally {
      rmSync(good);
      rmSync(bad);
    }
  }, 240_000);

  it("rolls back a push whose db lint validation fails, naming the finding", async () => {
    const before = await snapshotTarget(targetUrl);
    const file = project.write(
      "supabase/migrations/20250302000000_open_table.sql",
      "create table public.open_notes (id int);\n",
    );
    try {
      const result = await push("--target", "staging");
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL db lint: [1-9]\d* ERROR/);
      expect(result.stdout).toMatch(/ERROR rls_disabled_in_public: public\.open_notes/);
      expect(result.stderr).toContain("Push failed: post-deploy validation failed");
      expect(result.stderr).toContain("the target is as it was before the push");
      expect(await snapshotTarget(targetUrl)).toEqual(before);
    } finally {
      rmSync(file);
    }
  }, 240_000);

  it("rolls back a push that breaks the rls matrix, naming the failing cells", async () => {
    const before = await snapshotTarget(targetUrl);
    const file = project.write(
      "supabase/migrations/20250303000000_leak.sql",
      "create policy leak on public.products for select to authenticated using (true);\n",
    );
    try {
      const result = await push("--db-url", targetUrl, "--dry-run");
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("Plan for postgresql://deployer:****@");
      expect(result.stdout).toMatch(/FAIL test rls: \d+\/\d+ cell\(s\) passed/);
      expect(result.stdout).toMatch(/public\.products: \w+ select other row: expected denied, got visible/);
      expect(result.stderr).toContain("Rehearsal failed");
      expect(await snapshotTarget(targetUrl)).toEqual(before);
    } finally {
      rmSync(file);
    }
  }, 240_000);

  it("refuses no-transaction statements before any change unless --allow-no-transaction", async () => {
    const before = await snapshotTarget(targetUrl);
    const backupCount = backups().length;
    const unmarked = project.write(
      "supabase/migrations/20250304000000_index.sql",
      "create index concurrently contacts_email_idx on public.contacts (id);\n",
    );
    const refused = await push("--target", "staging");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("db push refused, nothing was changed");
    expect(refused.stderr).toContain(
      "20250304000000_index.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction",
    );
    rmSync(unmarked);

    const marked = project.write(
      "supabase/migrations/20250304000000_index.sql",
      "-- groundwork:no-transaction\ncreate index concurrently contacts_email_idx on public.contacts (id);\n",
    );
    const withoutFlag = await push("--target", "staging");
    expect(withoutFlag.code).toBe(1);
    expect(withoutFlag.stdout).toContain("NO TRANSACTION: runs after the commit");
    expect(withoutFlag.stderr).toContain("Pass --allow-no-transaction");
    expect(await snapshotTarget(targetUrl)).toEqual(before);
    expect(backups()).toHaveLength(backupCount);

    const allowed = await push("--target", "staging", "--allow-no-transaction");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("applied 20250304000000_index.sql (no transaction)");
    expect(await history()).toEqual([...EXAMPLE_VERSIONS, "20250304000000"]);
    expect((await snapshotTarget(targetUrl)).relations).toContain("public.contacts_email_idx:i:false");
    rmSync(marked);
  }, 240_000);

  it("refuses drift (an applied file changed, or missing) before any change", async () => {
    const before = await snapshotTarget(targetUrl);
    const file = path.join(project.dir, "supabase/migrations/20250101000300_audit.sql");
    const original = readFileSync(file, "utf8");
    project.write("supabase/migrations/20250101000300_audit.sql", `${original}\n-- edited\n`);
    try {
      const result = await push("--target", "staging");
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("drift: 20250101000300_audit.sql changed after it was applied");
      expect(result.stderr).toContain(
        "changed after it was applied, so the database no longer matches the files",
      );
      // The no-transaction file of the previous test is gone too: applied, but no file.
      expect(result.stdout).toContain("20250304000000 is applied but has no file");
      expect(await snapshotTarget(targetUrl)).toEqual(before);
    } finally {
      project.write("supabase/migrations/20250101000300_audit.sql", original);
    }
  }, 240_000);

  it("never prints or logs the target's password", () => {
    expect(outputs.length).toBeGreaterThan(8);
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(PASSWORD);
    expect(outputs.some((o) => (o.stdout + o.stderr).includes("deployer:****@"))).toBe(true);
    expect(JSON.stringify(log())).not.toContain(PASSWORD);
  });
});
