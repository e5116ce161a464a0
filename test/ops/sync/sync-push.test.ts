import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcrypt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../../src/db/database-url.js";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import { restoreDatabase } from "../../../src/ops/backup/restore.js";
import { verifyDatabases } from "../../../src/ops/verify/verify.js";
import { runCli } from "../../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { createTargetDatabase, withClient } from "./target.js";

const PASSWORD_IN_URL = /:\/\/[^:/\s]+:postgres@/;
const OTHER_TENANT = "00000000-0000-4000-8000-00000000c001";
const REMOTE_USER = "00000000-0000-4000-8000-0000000000ee";

/** Data only the target has: a tenant with an organization, a user of its own, a higher sequence. */
async function addTargetOnlyData(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(
      "insert into groundwork.tenants (id, name, slug) values ($1, 'Remote Co', 'remote-co')",
      [OTHER_TENANT],
    );
    await client.query(
      `insert into auth.users (id, instance_id, email, encrypted_password, aud, role)
       values ($1, '00000000-0000-0000-0000-000000000000', 'remote.only@example.com', 'x', 'authenticated', 'authenticated')`,
      [REMOTE_USER],
    );
    await client.query(
      "insert into groundwork.memberships (user_id, tenant_id, role, is_active) values ($1, $2, 'admin', true)",
      [REMOTE_USER, OTHER_TENANT],
    );
    await client.query(
      "insert into public.organizations (tenant_id, name) select $1, 'Remote org ' || g from generate_series(1, 40) g",
      [OTHER_TENANT],
    );
  });
}

async function checksumsOf(url: string) {
  return withClient(url, (client) => databaseChecksums(client));
}

describe("groundwork sync push", () => {
  let local: TestDatabase;
  let remote: RemoteCluster;
  let project: TempProject;
  let stagingUrl: string;
  let behindUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    [local, remote] = await Promise.all([createTestDatabase("crm"), startRemoteCluster()]);
    stagingUrl = await createTargetDatabase(remote.url, "staging");
    behindUrl = await createTargetDatabase(remote.url, "behind", 2);
    await addTargetOnlyData(stagingUrl);
    project = tempProject({ copyExample: true });
    project.write(
      "groundwork.toml",
      '[targets.staging]\nurl_env = "STAGING_DB_URL"\n\n[targets.behind]\nurl_env = "BEHIND_DB_URL"\n',
    );
    env = { STAGING_DB_URL: stagingUrl, BEHIND_DB_URL: behindUrl, DATABASE_URL: "" };
  }, 180_000);
  afterAll(async () => {
    await local?.drop();
    await remote?.stop();
    project?.remove();
  });

  const sync = (args: readonly string[]) =>
    runCli(["sync", "push", ...args, "--local-url", local.adminUrl, "--workdir", project.dir], env, 120_000);

  it("without --force explains what it would overwrite, changes nothing and exits 1", async () => {
    const before = await checksumsOf(stagingUrl);
    const result = await sync(["--target", "staging"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/would replace the public data of staging/);
    // 4 organizations locally, 40 target-only ones on the target.
    expect(result.stdout).toMatch(/public\.organizations\s+40\s+4\b/);
    expect(result.stdout).toMatch(/admin@test\.local\s+no: inserted/);
    expect(result.stdout).toMatch(/Nothing was changed/);
    expect(await checksumsOf(stagingUrl)).toEqual(before);
    expect(existsSync(path.join(project.dir, "backups"))).toBe(false);

    const json = await sync(["--target", "staging", "--json"]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as {
      synced: boolean;
      plan: { tables: { table: string; localRows: number; targetRows: number }[]; users: unknown[] };
    };
    expect(parsed.synced).toBe(false);
    expect(parsed.plan.tables.find((t) => t.table === "public.organizations")).toMatchObject({
      localRows: 4,
      targetRows: 40,
    });
    expect(parsed.plan.users).toHaveLength(4);
  }, 120_000);

  it("refuses a target that lacks migrations, even with --force, and changes nothing", async () => {
    const before = await checksumsOf(behindUrl);
    for (const args of [
      ["--target", "behind"],
      ["--target", "behind", "--force"],
    ]) {
      const result = await sync(args);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(
        /lacks 2 migration\(s\) the local database has \(20250101000300, 20250101000400\): run groundwork db push --target behind first/,
      );
    }
    expect(await checksumsOf(behindUrl)).toEqual(before);

    // Same migrations, but a column added by hand on the target.
    const driftedUrl = await createTargetDatabase(remote.url, "drifted");
    await withClient(driftedUrl, (c) => c.query("alter table public.notes add column pinned boolean"));
    const drifted = await sync(["--db-url", driftedUrl]);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(
      /Table public\.notes has other columns on the target \(local: .*; target: .*pinned\)/,
    );

    // A bare PostgreSQL database, without even the platform schema.
    await withClient(remote.url, (c) => c.query("create database bare"));
    const bare = await sync(["--db-url", withDatabase(remote.url, "bare"), "--force"]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(
      /lacks 4 migration\(s\).*run groundwork db push --db-url postgresql:\/\/postgres:\*\*\*\*@/,
    );
    expect(bare.stderr).toMatch(/no auth\.users table/);
    expect(bare.stdout + bare.stderr).not.toMatch(PASSWORD_IN_URL);
    expect(existsSync(path.join(project.dir, "backups"))).toBe(false);
  }, 120_000);

  it("with --force backs up, replaces the public data, copies the users and verifies equal", async () => {
    const result = await sync(["--target", "staging", "--force"]);
    expect(result.stderr).toMatch(/Backing up the target/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verified: all 8 public table\(s\) are equal\./);
    expect(result.stdout).toMatch(/All 4 user\(s\) are on the target/);
    expect(result.stdout + result.stderr).not.toMatch(PASSWORD_IN_URL);

    // The backup was taken before the change: restored, it holds the 40 target-only organizations.
    const [file] = readdirSync(path.join(project.dir, "backups"));
    const restoredUrl = withDatabase(remote.url, "restored");
    await withClient(remote.url, (c) => c.query("create database restored"));
    await restoreDatabase(path.join(project.dir, "backups", file ?? ""), restoredUrl);
    await withClient(restoredUrl, async (restored) => {
      const orgs = await restored.query("select 1 from public.organizations where tenant_id = $1", [
        OTHER_TENANT,
      ]);
      expect(orgs.rowCount).toBe(40);
    });

    // Public tables equal by count and checksum; target-only public rows are gone.
    const comparison = await verifyDatabases(local.adminUrl, stagingUrl);
    const publicTables = comparison.tables.filter((t) => t.table.startsWith("public."));
    expect(publicTables).toHaveLength(8);
    expect(publicTables.every((t) => t.equal)).toBe(true);

    await withClient(stagingUrl, async (target) => {
      const remoteOrgs = await target.query("select 1 from public.organizations where tenant_id = $1", [
        OTHER_TENANT,
      ]);
      expect(remoteOrgs.rowCount).toBe(0);
      // The target's own user and tenant stay.
      const remoteUser = await target.query("select 1 from auth.users where id = $1", [REMOTE_USER]);
      expect(remoteUser.rowCount).toBe(1);

      const users =
        "select id, email, encrypted_password, raw_app_meta_data from auth.users where email like '%@test.local' order by id";
      const localUsers = (await local.query(users)).rows;
      const targetUsers = (await target.query(users)).rows;
      expect(targetUsers).toHaveLength(4);
      expect(targetUsers).toEqual(localUsers);
      const admin = targetUsers.find((u) => u.email === "admin@test.local");
      expect(await bcrypt.compare("TestPass123!", String(admin?.encrypted_password))).toBe(true);

      const memberships =
        "select user_id, tenant_id, role, is_active from groundwork.memberships where user_id <> $1 order by 1, 2";
      expect((await target.query(memberships, [REMOTE_USER])).rows).toEqual(
        (await local.query(memberships, [REMOTE_USER])).rows,
      );
      expect((await target.query(memberships, [REMOTE_USER])).rows).toHaveLength(4);

      // Sequences carry the local values (the target's had gone past 40).
      const sequences =
        "select sequencename, last_value::text from pg_sequences where schemaname = 'public' order by 1";
      expect((await target.query(sequences)).rows).toEqual((await local.query(sequences)).rows);
    });

    const log = readFileSync(path.join(project.dir, ".groundwork", "operations.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { what: string; outcome: string; target: string; backupFile?: string },
      );
    const last = log.at(-1);
    expect(last).toMatchObject({ what: "sync push", outcome: "ok", target: "staging" });
    expect(last?.backupFile).toMatch(/backups/);
  }, 180_000);

  it("leaves the target unchanged when the process is killed (SIGKILL) during the load", async () => {
    const big = await createTestDatabase("crm");
    try {
      await withClient(big.adminUrl, async (client) => {
        // Loaded without triggers: the audit log would otherwise get 400k entries.
        await client.query("set session_replication_role = replica");
        await client.query(
          `insert into public.activities (tenant_id, type, subject, body)
           select '00000000-0000-4000-8000-00000000a001', 'call', 'Call ' || g, repeat('notes ', 10)
           from generate_series(1, 400000) g`,
        );
      });
      const before = await checksumsOf(stagingUrl);
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          path.resolve("src/cli/main.ts"),
          ...["sync", "push", "--force", "--db-url", stagingUrl, "--local-url", big.adminUrl],
          ...["--workdir", project.dir],
        ],
        { env: { ...process.env, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const copying = await withClient(remote.url, async (monitor) => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          if (/Replacing the target's public data/.test(stderr)) {
            const { rowCount } = await monitor.query(
              "select 1 from pg_stat_activity where datname = 'staging' and query ilike 'copy %activities% from stdin'",
            );
            if (rowCount) return true;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return false;
      });
      expect(copying, stderr).toBe(true);
      child.kill("SIGKILL");
      expect(await exited).toBeNull();
      expect(stderr).not.toMatch(/Verifying/);
      // Reading waits for the dead session's rollback (the TRUNCATE's lock), then sees the old data.
      expect(await checksumsOf(stagingUrl)).toEqual(before);
    } finally {
      await big.drop();
    }
  }, 180_000);
});
