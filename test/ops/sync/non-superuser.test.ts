import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import { syncPush } from "../../../src/ops/sync/sync.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { createTargetDatabase, withClient } from "./target.js";

const PUBLIC_TABLES = [
  "activities",
  "contacts",
  "notes",
  "opportunities",
  "organizations",
  "products",
  "sales",
  "tasks",
];

/**
 * A target reached as a role that is not a superuser (as on a managed database): `owner` owns the
 * public tables, `stranger` only has privileges on them. Both may read everything a backup reads and
 * write the user tables.
 */
async function createRoles(url: string): Promise<void> {
  await withClient(url, async (client) => {
    // BYPASSRLS as a managed database's admin role has it (Supabase's postgres): the tenancy tables have policies.
    await client.query(
      "create role owner login bypassrls password 'owner'; create role stranger login bypassrls password 'stranger'",
    );
    for (const table of PUBLIC_TABLES) await client.query(`alter table public.${table} owner to owner`);
    for (const role of ["owner", "stranger"]) {
      await client.query(`
        grant usage on schema auth, groundwork, storage, realtime, supabase_functions, supabase_migrations, extensions to ${role};
        grant select on all tables in schema auth, groundwork, storage, realtime, supabase_functions, supabase_migrations, public to ${role};
        grant select on all sequences in schema public to ${role};
        grant insert, update, delete on auth.users, auth.identities, groundwork.tenants, groundwork.memberships to ${role};`);
    }
    await client.query("grant insert, update, delete, truncate on all tables in schema public to stranger");
  });
}

describe("sync push as a role that is not a superuser", () => {
  let local: TestDatabase;
  let remote: RemoteCluster;
  let targetUrl: string;
  let backupsDir: string;

  beforeAll(async () => {
    [local, remote] = await Promise.all([createTestDatabase("crm"), startRemoteCluster()]);
    targetUrl = await createTargetDatabase(remote.url, "managed");
    await createRoles(targetUrl);
    await withClient(targetUrl, (client) =>
      client.query(
        "insert into groundwork.tenants (id, name) values ('00000000-0000-4000-8000-00000000c001', 'Remote Co')",
      ),
    );
    backupsDir = mkdtempSync(path.join(os.tmpdir(), "groundwork-sync-backups-"));
  }, 180_000);
  afterAll(async () => {
    await local?.drop();
    await remote?.stop();
    rmSync(backupsDir, { recursive: true, force: true });
  });

  const as = (role: string) => targetUrl.replace("postgres:postgres@", `${role}:${role}@`);
  const auditCount = () =>
    withClient(targetUrl, async (c) =>
      Number((await c.query("select count(*) as n from groundwork.audit_log")).rows[0].n),
    );

  it("refuses clearly when the role may neither set replica mode nor disable the tables' triggers", async () => {
    const before = await withClient(targetUrl, (c) => databaseChecksums(c));
    await expect(syncPush(local.adminUrl, as("stranger"), { backupsDir })).rejects.toThrow(
      /may not set session_replication_role \(a superuser may\) nor disable the triggers of public\.\w+ \(its owner may\).*Connect to the target as a superuser or as the tables' owner/,
    );
    expect(await withClient(targetUrl, (c) => databaseChecksums(c))).toEqual(before);
  }, 120_000);

  it("as the tables' owner: user triggers off per table, foreign keys checked, verified equal", async () => {
    const auditBefore = await auditCount();
    const result = await syncPush(local.adminUrl, as("owner"), { backupsDir });
    expect(result.replicaMode).toBe(false);
    expect(result.verification.equal).toBe(true);
    expect(result.rows).toBe(32);
    // The audit triggers were off during the load, and are on again afterwards.
    expect(await auditCount()).toBe(auditBefore);
    const enabled = await withClient(
      targetUrl,
      async (c) =>
        (
          await c.query(
            "select count(*) as n from pg_trigger where tgrelid = 'public.organizations'::regclass and not tgisinternal and tgenabled = 'O'",
          )
        ).rows[0].n,
    );
    expect(Number(enabled)).toBeGreaterThan(0);
  }, 120_000);
});
