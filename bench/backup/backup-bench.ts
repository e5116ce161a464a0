/**
 * Backup and restore throughput (issue 6 figures): `groundwork db backup` / `db restore` of a
 * 1,000,000-row table, side by side in the same run with PostgreSQL's own server-side
 * `COPY t TO 'file'` / `COPY t FROM 'file'` of the same table (COPY's rate, with no client in the
 * way). Starts its own embedded cluster. The table is created by a recorded migration, as a
 * restore rebuilds the schema by replaying migrations.
 *
 *   npx tsx bench/backup/backup-bench.ts [rows] [rounds]
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { withDatabase } from "../../src/db/database-url.js";
import { ensureHistoryTable, recordMigration } from "../../src/migrate/history.js";
import { backupDatabase } from "../../src/ops/backup/backup.js";
import { databaseChecksums } from "../../src/ops/backup/checksums.js";
import { restoreDatabase } from "../../src/ops/backup/restore.js";
import { applyPlatformSchema } from "../../src/platform/apply.js";
import { freePort } from "../../test/harness/free-port.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 2);
const TABLE_SQL = `create table public.bench_rows (
  id bigint generated always as identity primary key,
  name text not null,
  amount numeric(12, 2) not null,
  created_at timestamptz not null,
  active boolean not null,
  tags text[]
)`;

const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-backup-"));
chmodSync(dir, 0o755);
const cluster = await startEmbeddedCluster({
  dataDir: path.join(dir, "db"),
  port: await freePort(),
  portSetting: "(bench)",
  settings: { shared_buffers: "256MB", max_wal_size: "4GB" },
});

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

const rate = (seconds: number) => Math.round(ROWS / seconds).toLocaleString("en");

try {
  await withClient(cluster.url(), (c) => c.query("create database source"));
  const sourceUrl = withDatabase(cluster.url(), "source");
  await withClient(sourceUrl, async (client) => {
    await applyPlatformSchema(client);
    await ensureHistoryTable(client);
    await client.query(TABLE_SQL);
    await recordMigration(client, { version: "20250101000000", name: "bench", checksum: "bench" }, [
      TABLE_SQL,
    ]);
    await client.query(
      `insert into public.bench_rows (name, amount, created_at, active, tags)
       select 'customer ' || g, (g % 100000) / 100.0, now() - g * interval '1 minute', g % 3 = 0,
              array['tag' || (g % 7), 'x']
       from generate_series(1, $1) g`,
      [ROWS],
    );
    await client.query("vacuum analyze public.bench_rows");
  });
  console.log(
    `bench_rows: ${ROWS.toLocaleString("en")} rows, PostgreSQL ${await withClient(sourceUrl, async (c) => (await c.query("show server_version")).rows[0].server_version)}`,
  );

  for (let round = 1; round <= ROUNDS; round++) {
    const csv = path.join(os.tmpdir(), `groundwork-bench-${process.pid}-${round}.csv`);
    const copyTo = await timed(() =>
      withClient(sourceUrl, (c) => c.query(`copy public.bench_rows to '${csv}'`)),
    );
    const copyFrom = await timed(() =>
      withClient(sourceUrl, async (c) => {
        await c.query("begin");
        await c.query("create table public.bench_copy (like public.bench_rows including all)");
        await c.query(`copy public.bench_copy from '${csv}'`);
        await c.query("rollback");
      }),
    );
    rmSync(csv, { force: true });

    let file = "";
    const backup = await timed(async () => {
      file = (await backupDatabase(sourceUrl, { backupsDir: dir })).file;
    });
    const size = statSync(file).size;
    const checksum = await timed(() => withClient(sourceUrl, (c) => databaseChecksums(c)));
    const target = `restored_${round}`;
    await withClient(cluster.url(), (c) => c.query(`create database ${target}`));
    const steps: Record<string, number> = {};
    const restore = await timed(() =>
      restoreDatabase(file, withDatabase(cluster.url(), target), {
        onStep: (step) => {
          steps[step] = performance.now();
        },
      }),
    );
    const dataPhase = ((steps.verify ?? 0) - (steps.data ?? 0)) / 1000;
    rmSync(file);

    console.log(`\nround ${round}`);
    console.log(`  COPY TO (server-side file)     ${copyTo.toFixed(2)} s   ${rate(copyTo)} rows/s`);
    console.log(
      `  db backup (incl. checksums)    ${backup.toFixed(2)} s   ${rate(backup)} rows/s   ${(backup > 0 ? (copyTo / backup) * 100 : 0).toFixed(0)}% of COPY TO   (${(size / 1e6).toFixed(0)} MB)`,
    );
    console.log(`    checksum scan alone (timed apart) ${checksum.toFixed(2)} s`);
    console.log(`  COPY FROM (server-side file)   ${copyFrom.toFixed(2)} s   ${rate(copyFrom)} rows/s`);
    console.log(
      `  db restore (total)             ${restore.toFixed(2)} s   ${rate(restore)} rows/s   ${((copyFrom / restore) * 100).toFixed(0)}% of COPY FROM`,
    );
    console.log(
      `  db restore (data load only)    ${dataPhase.toFixed(2)} s   ${rate(dataPhase)} rows/s   ${((copyFrom / dataPhase) * 100).toFixed(0)}% of COPY FROM`,
    );
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
