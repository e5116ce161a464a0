import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { loadConfig } from "../../src/config/index.js";
import { withDatabase } from "../../src/db/database-url.js";
import { quoteQualified } from "../../src/db/sql.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { syncPush } from "../../src/ops/sync/sync.js";
import { listPublicTables } from "../../src/ops/sync/tables.js";
import type { SyncStep } from "../../src/ops/sync/types.js";
import { runUsersSeed } from "../../src/ops/test-users/seed.js";
import { applyPlatformSchema } from "../../src/platform/apply.js";
import { withClient } from "../../test/harness/client.js";
import { startRemoteCluster } from "../../test/harness/remote-cluster.js";
import { timeCli } from "../cli-time.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const ROUNDS = Number(process.argv[2] ?? 3);
/** The baseline: truncate + COPY of the public tables in one transaction, nothing else. */
async function rawCopy(localUrl: string, targetUrl: string): Promise<void> {
  await withClient(localUrl, (local) =>
    withClient(targetUrl, async (target) => {
      const tables = await listPublicTables(local);
      await target.query("begin");
      await target.query("set local session_replication_role = replica");
      await target.query(`truncate ${tables.map((t) => quoteQualified(t.schema, t.name)).join(", ")}`);
      for (const t of tables) {
        const name = quoteQualified(t.schema, t.name);
        await pipeline(
          local.query(copyTo(`copy ${name} to stdout`)),
          target.query(copyFrom(`copy ${name} from stdin`)),
        );
      }
      await target.query("commit");
    }),
  );
}

const local = await startExampleDatabase();
const remote = await startRemoteCluster();
const work = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-sync-"));
// The CLI runs in a copy of the example project (its backups/ and operations log land there).
cpSync(path.join(EXAMPLE, "supabase"), path.join(work, "supabase"), { recursive: true });
try {
  const exampleConfig = await loadConfig(EXAMPLE, {});
  await runUsersSeed(local.adminUrl, exampleConfig.testUsers, {
    hashCost: exampleConfig.auth.passwordHashCost,
  });
  await withClient(remote.url, (c) => c.query("create database target"));
  const targetUrl = withDatabase(remote.url, "target");
  await withClient(targetUrl, async (client) => {
    await applyPlatformSchema(client);
    const project = await loadConfig(EXAMPLE, {});
    await applyMigrations(client, readMigrationDirectory(project.migrationsDir).migrations);
  });
  const rows = await withClient(local.adminUrl, async (client) => {
    const tables = await listPublicTables(client);
    let total = 0;
    for (const t of tables) {
      const { rows: r } = await client.query<{ n: string }>(
        `select count(*) as n from ${quoteQualified(t.schema, t.name)}`,
      );
      total += Number(r[0]?.n ?? 0);
    }
    return total;
  });
  console.log(
    `Dataset: ${rows} rows in the public tables (the example's seed plus seed 001's three test users' data from users seed).`,
  );

  for (let round = 1; round <= ROUNDS; round++) {
    const steps: Partial<Record<SyncStep, number>> = {};
    let current: SyncStep | undefined;
    let mark = performance.now();
    const started = performance.now();
    const result = await syncPush(local.adminUrl, targetUrl, {
      backupsDir: path.join(work, "backups"),
      onStep: (step) => {
        const now = performance.now();
        if (current) steps[current] = now - mark;
        current = step;
        mark = now;
      },
    });
    const total = performance.now() - started;
    if (current) steps[current] = performance.now() - mark;
    if (!result.verification.equal) throw new Error("the sync did not verify equal");

    const cli = await timeCli(
      ["sync", "push", "--force", "--db-url", targetUrl, "--local-url", local.adminUrl, "--workdir", work],
      { ...process.env, DATABASE_URL: "" },
    );

    const rawStarted = performance.now();
    await rawCopy(local.adminUrl, targetUrl);
    const raw = performance.now() - rawStarted;

    const fmt = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(3)} s`;
    console.log(
      `round ${round}: operation ${fmt(total)} (plan ${fmt(steps.plan)}, backup ${fmt(steps.backup)}, ` +
        `copy ${fmt(steps.copy)}, verify ${fmt(steps.verify)}); CLI wall ${fmt(cli)}; ` +
        `raw truncate+COPY ${fmt(raw)} (copy step / raw = ${((steps.copy ?? 0) / raw).toFixed(2)}x)`,
    );
  }
} finally {
  await local.stop();
  await remote.stop();
  rmSync(work, { recursive: true, force: true });
}
