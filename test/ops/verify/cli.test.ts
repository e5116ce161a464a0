import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../../src/db/database-url.js";
import { verifyDatabases } from "../../../src/ops/verify/verify.js";
import { runCli } from "../../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";

const PASSWORD_IN_URL = /:\/\/[^:/\s]+:postgres@/;

describe("groundwork db backup / db restore / verify through the CLI", () => {
  let source: TestDatabase;
  let remote: RemoteCluster;
  let project: TempProject;
  let targetUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    [source, remote] = await Promise.all([createTestDatabase("crm"), startRemoteCluster()]);
    const admin = new pg.Client({ connectionString: remote.url });
    await admin.connect();
    await admin.query("create database staging");
    await admin.end();
    targetUrl = withDatabase(remote.url, "staging");
    project = tempProject({ copyExample: true });
    project.write("groundwork.toml", '[targets.staging]\nurl_env = "STAGING_DB_URL"\n');
    env = { STAGING_DB_URL: targetUrl, DATABASE_URL: "" };
  }, 120_000);
  afterAll(async () => {
    await source?.drop();
    await remote?.stop();
    project?.remove();
  });

  it("backs up, restores into the target, refuses a second restore, and verifies equal", async () => {
    const backup = await runCli(["db", "backup", "--db-url", source.adminUrl, "--workdir", project.dir], env);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/Backed up .* 4 migration\(s\)/);
    const [file] = readdirSync(path.join(project.dir, "backups"));
    expect(file).toMatch(/\.gwbackup$/);
    const backupFile = path.join(project.dir, "backups", file ?? "");

    const restore = await runCli(
      ["db", "restore", backupFile, "--target", "staging", "--workdir", project.dir],
      env,
    );
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/every count and checksum matches the manifest/);

    const again = await runCli(
      ["db", "restore", backupFile, "--db-url", targetUrl, "--workdir", project.dir],
      env,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty \(schema auth: \d+ relation/);
    expect(again.stderr).toMatch(/--force/);

    const verify = await runCli(
      ["verify", "--target", "staging", "--local-url", source.adminUrl, "--workdir", project.dir],
      env,
    );
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/auth\.users\s+\d+\s+\d+/);
    expect(verify.stdout).toMatch(/All \d+ table\(s\) are equal\./);

    for (const output of [backup, restore, again, verify]) {
      expect(output.stdout + output.stderr).not.toMatch(PASSWORD_IN_URL);
    }
    const log = readFileSync(path.join(project.dir, ".groundwork", "operations.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { what: string; outcome: string; target: string });
    expect(log.map((entry) => [entry.what, entry.outcome])).toEqual([
      ["db backup", "ok"],
      ["db restore", "ok"],
      ["db restore", "failed"],
      ["verify", "ok"],
    ]);
    expect(JSON.stringify(log)).not.toMatch(PASSWORD_IN_URL);
  }, 180_000);

  it("reports a changed row and a missing table as mismatches (exit 1, --json)", async () => {
    const target = new pg.Client({ connectionString: targetUrl });
    await target.connect();
    try {
      await target.query(
        "update public.organizations set name = name || ' (edited)' where id = (select min(id) from public.organizations)",
      );
      await target.query("create table public.only_remote (id int)");
    } finally {
      await target.end();
    }
    const result = await verifyDatabases(source.adminUrl, targetUrl);
    expect(result.equal).toBe(false);
    expect(result.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual([
      "public.only_remote",
      "public.organizations",
    ]);
    // Each database's own state is left out by default...
    expect(result.skipped).toContain("groundwork.audit_log");
    expect(result.tables.map((t) => t.table)).not.toContain("groundwork.audit_log");
    // ...and compared with `all`: the update is audited on the target, so its audit log differs too.
    const all = await verifyDatabases(source.adminUrl, targetUrl, { all: true });
    expect(all.skipped).toEqual([]);
    expect(all.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual([
      "groundwork.audit_log",
      "public.only_remote",
      "public.organizations",
    ]);

    const cli = await runCli(
      ["verify", "--db-url", targetUrl, "--local-url", source.adminUrl, "--json", "--workdir", project.dir],
      env,
    );
    expect(cli.code).toBe(1);
    const json = JSON.parse(cli.stdout) as { equal: boolean; tables: { table: string; equal: boolean }[] };
    expect(json.equal).toBe(false);
    expect(json.tables.find((t) => t.table === "public.organizations")?.equal).toBe(false);

    const text = await runCli(
      ["verify", "--target", "staging", "--local-url", source.adminUrl, "--workdir", project.dir],
      env,
    );
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/public\.only_remote\s+missing\s+0/);
    expect(text.stdout).toMatch(/2 of \d+ table\(s\) differ\./);
    expect(text.stdout).toContain("Not compared, each database's own state");

    const usage = await runCli(["verify", "--workdir", project.dir], env);
    expect(usage.code).toBe(2);
  }, 120_000);
});
