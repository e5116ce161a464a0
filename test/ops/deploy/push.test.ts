import { existsSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/index.js";
import { loadConfig } from "../../../src/config/load.js";
import { withDatabase } from "../../../src/db/database-url.js";
import { MigrationPlanError } from "../../../src/migrate/apply.js";
import { SUPABASE_PROVIDES } from "../../../src/ops/deploy/platform.js";
import { pushMigrations } from "../../../src/ops/deploy/push.js";
import { platformFiles } from "../../../src/platform/apply.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { runSql, snapshotTarget } from "./target-snapshot.js";

/** Supabase's own definition of auth.uid(), which Groundwork's platform file would replace. */
const SUPABASE_AUTH_UID = `create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$`;

/** Every object of the auth and storage schemas, with definitions, indexes and comments. */
async function managedSchemas(url: string): Promise<string[]> {
  const { rows } = await runSql(
    url,
    `select 'rel ' || c.oid::regclass::text || ':' || c.relkind::text || ':' || c.relrowsecurity
              || ':' || coalesce(obj_description(c.oid, 'pg_class'), '')
              || ':' || coalesce(pg_get_indexdef(c.oid), '') as v
       from pg_class c where c.relnamespace in ('auth'::regnamespace, 'storage'::regnamespace)
     union all
     select 'fn ' || p.oid::regprocedure::text || ':' || md5(pg_get_functiondef(p.oid))
       from pg_proc p where p.pronamespace in ('auth'::regnamespace, 'storage'::regnamespace)
     union all
     select 'schema ' || n.nspname || ':' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
       from pg_namespace n where n.nspname in ('auth', 'storage')
     order by 1`,
  );
  return rows.map((row: { v: string }) => row.v);
}

describe("pushMigrations (ops)", () => {
  let remote: RemoteCluster;
  let project: TempProject;
  let config: Config;

  async function database(name: string): Promise<string> {
    await runSql(remote.url, `create database ${name}`);
    return withDatabase(remote.url, name);
  }

  beforeAll(async () => {
    remote = await startRemoteCluster();
    project = tempProject({ copyExample: true });
    config = await loadConfig(project.dir);
  }, 120_000);
  afterAll(async () => {
    await remote?.stop();
    project?.remove();
  });

  it("rehearses with dryRun: validation runs, nothing is committed, no backup", async () => {
    const url = await database("rehearsal");
    const before = await snapshotTarget(url);
    const steps: string[] = [];
    const result = await pushMigrations(url, { config, dryRun: true, onStep: (step) => steps.push(step) });
    expect(result.committed).toBe(false);
    expect(result.backupFile).toBeNull();
    expect(result.applied).toHaveLength(4);
    expect(result.validation.map((check) => [check.name, check.status])).toEqual([
      ["history", "passed"],
      ["lint", "passed"],
      ["rls", "passed"],
    ]);
    expect(steps).toEqual(["platform", "migrations", "validation", "rollback"]);
    expect(await snapshotTarget(url)).toEqual(before);
  }, 120_000);

  it("backs the target up before the transaction changes anything", async () => {
    const url = await database("backed_up");
    const steps: string[] = [];
    const result = await pushMigrations(url, { config, onStep: (step) => steps.push(step) });
    expect(steps).toEqual(["backup", "platform", "migrations", "validation", "commit"]);
    expect(result.committed).toBe(true);
    expect(result.backupFile).toMatch(/backups\/\d{8}T\d{6}Z_backed_up\.gwbackup$/);
    expect(existsSync(result.backupFile ?? "")).toBe(true);
    expect((await snapshotTarget(url)).history).toHaveLength(4);
  }, 120_000);

  it("fails at once while another migration run holds the lock", async () => {
    const url = await database("locked");
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1)", [0x67_77_6d_69]);
      const error = await pushMigrations(url, { config }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MigrationPlanError);
      expect((error as Error).message).toContain("Another migration run holds the migration lock");
    } finally {
      await holder.end();
    }
  }, 120_000);

  it("leaves a Supabase project's auth and storage schemas as they are", async () => {
    const url = await database("supabase_project");
    // What a Supabase project has before Groundwork touches it: roles, extensions, auth, storage,
    // realtime publication; auth.uid() as Supabase defines it; none of it in Groundwork's history.
    for (const file of platformFiles().filter(
      (f) => SUPABASE_PROVIDES.has(f.name) && f.name !== "auth_indexes" && f.name !== "auth_flow_state",
    )) {
      await runSql(url, file.sql);
    }
    await runSql(url, SUPABASE_AUTH_UID);
    await runSql(url, "comment on schema auth is 'Supabase Auth'");
    const before = await managedSchemas(url);

    const result = await pushMigrations(url, { config, backup: false });
    expect(result.plan.target.kind).toBe("supabase");
    expect(result.plan.target.platformSkipped).toEqual([
      "0001_roles",
      "0002_extensions",
      "0003_auth",
      "0004_storage",
      "0005_api",
      "0007_auth_indexes",
      "0030_storage_current",
      "0031_storage_security",
      "0032_storage_trash",
      "0040_realtime",
      "0050_webhooks",
      "0052_vault",
      "0060_auth_flow_state",
      "0065_auth_mfa",
    ]);
    expect(result.committed).toBe(true);
    expect(result.applied).toHaveLength(4);
    expect(result.validation.every((check) => check.status === "passed")).toBe(true);
    expect(await managedSchemas(url)).toEqual(before);
    const after = await snapshotTarget(url);
    expect(after.relations).toContain("groundwork.memberships:r:true");
    expect(after.history).toHaveLength(4);
    // The database's settings are Supabase's business too.
    expect(after.searchPath).toBeNull();

    // A second push recognises the project again and has nothing to do.
    const again = await pushMigrations(url, { config });
    expect(again.plan.target.kind).toBe("supabase");
    expect(again.plan.target.platformFiles).toEqual([]);
    expect(again.committed).toBe(false);
    expect(again.backupFile).toBeNull();
  }, 120_000);

  it("installs on a Supabase project only platform files that leave auth and storage alone", () => {
    const managed = "(?:auth|storage)\\.";
    // A statement that creates, changes or comments on an object in auth/storage, or on one of their tables.
    const touchesManaged = new RegExp(
      [
        `^(?:create|alter|drop)\\s+(?:or\\s+replace\\s+)?(?:unique\\s+)?\\w+\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?${managed}`,
        `^(?:create|drop)\\s+(?:unique\\s+)?(?:index|trigger|policy)\\b[^;]*?\\son\\s+(?:only\\s+)?${managed}`,
        `^comment\\s+on\\s+\\w+\\s+${managed}`,
        `^(?:grant|revoke)\\b[^;]*?\\son\\s+(?:all\\s+\\w+\\s+in\\s+schema\\s+|\\w+\\s+)?(?:auth|storage)\\b`,
      ].join("|"),
      "i",
    );
    const statements = (sql: string) =>
      sql
        .replace(/\$\$[\s\S]*?\$\$/g, "$$$$")
        // Comments go first: a semicolon in a comment must not cut a statement in two.
        .replace(/--[^\n]*/g, "")
        .split(";")
        .map((statement) => statement.replace(/\s+/g, " ").trim());
    const installed = platformFiles().filter((file) => !SUPABASE_PROVIDES.has(file.name));
    expect(installed.map((file) => file.name)).toContain("tenancy");
    for (const file of installed) {
      expect(
        statements(file.sql).filter((statement) => touchesManaged.test(statement)),
        file.name,
      ).toEqual([]);
    }
    for (const name of ["auth", "storage", "auth_indexes", "auth_flow_state", "auth_mfa"]) {
      const file = platformFiles().find((f) => f.name === name);
      expect(
        statements(file?.sql ?? "").some((statement) => touchesManaged.test(statement)),
        name,
      ).toBe(true);
    }
  });
});
