import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { withDatabase } from "../../../src/db/database-url.js";
import { applyMigrations } from "../../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../../src/migrate/files.js";
import { runSeedFiles } from "../../../src/migrate/seed.js";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import { ResetFailedError, resetTestData } from "../../../src/ops/reset/reset.js";
import { applyPlatformSchema } from "../../../src/platform/apply.js";
import { runCli } from "../../harness/cli.js";
import { withClient } from "../../harness/client.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { EXAMPLE_PROJECT } from "../../harness/templates.js";

const SEQUENCES = "select sequencename, last_value from pg_sequences where schemaname = 'public' order by 1";

/** Everything a failed reset must leave as it was: every table's checksum and every sequence. */
async function snapshot(url: string) {
  return withClient(url, async (client) => ({
    tables: await databaseChecksums(client),
    sequences: (await client.query(SEQUENCES)).rows,
  }));
}

describe("groundwork reset against a remote target", () => {
  let remote: RemoteCluster;
  let project: TempProject;
  let url: string;
  const env = () => ({ STAGING_DB_URL: url });

  beforeAll(async () => {
    remote = await startRemoteCluster();
    project = tempProject({ copyExample: true });
    project.write("groundwork.toml", '[targets.staging]\nurl_env = "STAGING_DB_URL"\n');
    await withClient(remote.url, (client) => client.query("create database crm"));
    url = withDatabase(remote.url, "crm");
    const crm = await loadConfig(EXAMPLE_PROJECT, {});
    await withClient(url, async (client) => {
      await applyPlatformSchema(client);
      await applyMigrations(client, readMigrationDirectory(crm.migrationsDir).migrations);
      await runSeedFiles(client, crm.seedPaths, crm.projectDir);
    });
  }, 120_000);
  afterAll(async () => {
    await remote?.stop();
    project?.remove();
  });

  it("refuses without --yes when stdin is not a terminal (exit 2), changing nothing", async () => {
    const before = await snapshot(url);
    const result = await runCli(["reset", "--target", "staging", "--workdir", project.dir], env());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pass --yes to confirm when stdin is not a terminal/);
    expect(await snapshot(url)).toEqual(before);
    expect(existsSync(path.join(project.dir, "backups"))).toBe(false);
  });

  it("with --yes: backs up, empties the data, keeps the schema, restarts sequences, reseeds", async () => {
    const result = await runCli(["reset", "--target", "staging", "--yes", "--workdir", project.dir], env());
    expect(result.code, result.stderr).toBe(0);
    const backup = /Backup: (\S+)/.exec(result.stdout)?.[1] ?? "";
    expect(existsSync(path.resolve(backup))).toBe(true);
    expect(path.resolve(backup).startsWith(path.join(project.dir, "backups"))).toBe(true);
    expect(result.stdout).toMatch(/admin@test\.local\s+admin\s+Test tenant\s+TestPass123! \(default\)/);
    expect(result.stdout).not.toMatch(/postgres:postgres@/);

    // The backup holds the data as it was before: seed.sql's organizations. (Only its text is
    // looked at: the file format belongs to db backup.)
    expect(readFileSync(path.resolve(backup), "utf8")).toContain("Green Grocers");

    const state = await withClient(url, async (client) => {
      const q = async (sql: string) => (await client.query(sql)).rows[0];
      return {
        acme: await q(
          "select count(*)::int as n from public.organizations where tenant_id = '00000000-0000-4000-8000-00000000a001'",
        ),
        organizations: await q("select count(*)::int as n, min(id)::int as first from public.organizations"),
        policies: await q("select count(*)::int as n from pg_policies where schemaname = 'public'"),
        users: (await client.query("select email from auth.users order by email")).rows.map((r) => r.email),
        globexMember: await q(
          "select count(*)::int as n from groundwork.memberships m join auth.users u on u.id = m.user_id where u.email = 'globex.admin@test.local'",
        ),
        tenants: await q("select count(*)::int as n from groundwork.tenants"),
      };
    });
    expect(state.acme.n).toBe(0);
    // Seed 001's 50 + 30 + 20 organizations, numbered from 1 again.
    expect(state.organizations).toEqual({ n: 100, first: 1 });
    expect(state.policies.n).toBeGreaterThan(0);
    // The test users are back; the other user (not a test user) was kept, with its membership.
    expect(state.users).toEqual([
      "admin@test.local",
      "director@test.local",
      "globex.admin@test.local",
      "manager@test.local",
    ]);
    expect(state.globexMember.n).toBe(1);
    expect(state.tenants.n).toBe(3);
    const log = readFileSync(path.join(project.dir, ".groundwork/operations.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(JSON.parse(log.at(-1) ?? "")).toMatchObject({
      what: "reset",
      target: "staging",
      outcome: "ok",
      backupFile: path.resolve(backup),
    });
  });

  it("gives the same rows when run again with the same seed (timestamps aside)", async () => {
    const sql = "select * from public.contacts order by id";
    const before = await withClient(url, async (client) => (await client.query(sql)).rows);
    const result = await runCli(
      ["reset", "--target", "staging", "--yes", "--json", "--workdir", project.dir],
      env(),
    );
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.removedUsers).toEqual(["admin@test.local", "director@test.local", "manager@test.local"]);
    expect(json.rowsCreated).toBe(943);
    const after = await withClient(url, async (client) => (await client.query(sql)).rows);
    const strip = (rows: Record<string, unknown>[]) =>
      rows.map(({ created_at, updated_at, first_seen, last_seen, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
  });
});

describe("a reset that fails midway", () => {
  let database: TestDatabase;
  let project: TempProject;

  beforeAll(async () => {
    database = await createTestDatabase("crm");
    project = tempProject({ copyExample: true });
  });
  afterAll(async () => {
    await database?.drop();
    project?.remove();
  });

  it("rolls everything back when the last step fails, and keeps the backup", async () => {
    const before = await snapshot(database.adminUrl);
    const config = await loadConfig(project.dir, {});
    const error = await resetTestData(database.adminUrl, config.testUsers, {
      backupsDir: path.join(project.dir, "backups"),
      hashCost: 4,
      beforeCommit: async () => {
        throw new Error("simulated failure before commit");
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResetFailedError);
    expect(existsSync((error as ResetFailedError).backupFile)).toBe(true);
    expect(await snapshot(database.adminUrl)).toEqual(before);
  });

  it("rolls back a seed the schema makes impossible (exit 1), the database unchanged", async () => {
    await database.query(
      "create table public.ledger (id int primary key, debit int not null, credit int not null, check (debit > credit))",
    );
    project.write(
      "groundwork.toml",
      '[test_users.users.admin]\nemail = "admin@test.local"\nrole = "admin"\ncounts = { organizations = 5, ledger = 50 }\n',
    );
    const before = await snapshot(database.adminUrl);
    const result = await runCli(["reset", "--yes", "--db-url", database.adminUrl, "--workdir", project.dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Reset failed and was rolled back; the database is unchanged: seeding public\.ledger failed/,
    );
    expect(result.stderr).toMatch(/Backup taken before the reset: /);
    expect(await snapshot(database.adminUrl)).toEqual(before);
  });
});
