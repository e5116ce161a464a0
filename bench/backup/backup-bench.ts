/**
 * Backup and restore throughput (issue 6 figures): `groundwork db backup` / `db restore` of a
 * 1,000,000-row table, side by side in the same run with two plain COPYs of the same table:
 * - server-side `COPY t TO 'file'` / `COPY t FROM 'file'` (the server alone; needs superuser and a
 *   file on the database server's machine);
 * - client-side `COPY t TO STDOUT` into a local file / `COPY t FROM STDIN` from it (what `psql \copy`
 *   does, and what a backup tool run from another machine can do at best).
 * Each round prints rows/s and the ratios. Starts its own embedded cluster. The table is created by
 * a recorded migration, as a restore rebuilds the schema by replaying migrations.
 *
 *   npx tsx bench/backup/backup-bench.ts [rows] [rounds]
 */
import { chmodSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { withDatabase } from "../../src/db/database-url.js";
import { ensureHistoryTable, recordMigration } from "../../src/migrate/history.js";
import { backupDatabase } from "../../src/ops/backup/backup.js";
import { databaseChecksums } from "../../src/ops/backup/checksums.js";
import { restoreDatabase } from "../../src/ops/backup/restore.js";
import { applyPlatformSchema } from "../../src/platform/apply.js";
import { withClient } from "../../test/harness/client.js";
import { freePort } from "../../test/harness/free-port.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const TABLE_SQL = `create table public.bench_rows (
  id bigint generated always as identity primary key,
  name text not null,
  amount numeric(12, 2) not null,
  created_at timestamptz not null,
  active boolean not null,
  tags text[]
)`;
const COPY_TABLE = "create table public.bench_copy (like public.bench_rows including all)";

const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-backup-"));
chmodSync(dir, 0o755);
const cluster = await startEmbeddedCluster({
  dataDir: path.join(dir, "db"),
  port: await freePort(),
  portSetting: "(bench)",
  settings: { shared_buffers: "256MB", max_wal_size: "4GB" },
});

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/** `COPY FROM` into a fresh copy of the table, rolled back. */
function copyIntoScratch(url: string, load: (client: pg.Client) => Promise<unknown>): Promise<number> {
  return withClient(url, async (client) => {
    await client.query("begin");
    await client.query(COPY_TABLE);
    const seconds = await timed(() => load(client));
    await client.query("rollback");
    return seconds;
  });
}

const rate = (seconds: number) => `${Math.round(ROWS / seconds).toLocaleString("en")} rows/s`.padStart(18);
const percent = (baseline: number, ours: number) => `${((baseline / ours) * 100).toFixed(0)}%`.padStart(5);
const line = (label: string, seconds: number, extra = "") =>
  console.log(`  ${label.padEnd(44)} ${seconds.toFixed(2).padStart(6)} s ${rate(seconds)}${extra}`);

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
  const version = await withClient(
    sourceUrl,
    async (c) => (await c.query("show server_version")).rows[0].server_version,
  );
  console.log(`bench_rows: ${ROWS.toLocaleString("en")} rows, PostgreSQL ${version}`);

  for (let round = 1; round <= ROUNDS; round++) {
    // Server-side files go to the shared temp folder, which the server's OS user can write.
    const serverFile = path.join(os.tmpdir(), `groundwork-bench-${process.pid}-${round}.txt`);
    const clientFile = path.join(dir, `client-${round}.txt`);
    const serverTo = await timed(() =>
      withClient(sourceUrl, (c) => c.query(`copy public.bench_rows to '${serverFile}'`)),
    );
    const clientTo = await timed(() =>
      withClient(sourceUrl, (c) =>
        pipeline(c.query(copyTo("copy public.bench_rows to stdout")), createWriteStream(clientFile)),
      ),
    );
    let file = "";
    const backup = await timed(async () => {
      file = (await backupDatabase(sourceUrl, { backupsDir: dir })).file;
    });
    const size = statSync(file).size;
    const checksum = await timed(() => withClient(sourceUrl, (c) => databaseChecksums(c)));

    const serverFrom = await copyIntoScratch(sourceUrl, (c) =>
      c.query(`copy public.bench_copy from '${serverFile}'`),
    );
    const clientFrom = await copyIntoScratch(sourceUrl, (c) =>
      pipeline(createReadStream(clientFile), c.query(copyFrom("copy public.bench_copy from stdin"))),
    );
    rmSync(serverFile, { force: true });
    rmSync(clientFile, { force: true });

    const target = `restored_${round}`;
    await withClient(cluster.url(), (c) => c.query(`create database ${target}`));
    const steps: Record<string, number> = {};
    const started = performance.now();
    const restore = await timed(() =>
      restoreDatabase(file, withDatabase(cluster.url(), target), {
        onStep: (step) => {
          steps[step] = performance.now();
        },
      }),
    );
    const setup = ((steps.data ?? started) - started) / 1000;
    const load = ((steps.verify ?? 0) - (steps.data ?? 0)) / 1000;
    const verify = restore - setup - load;
    rmSync(file);

    console.log(`\nround ${round}`);
    line("COPY TO file (server-side)", serverTo);
    line("COPY TO STDOUT -> local file (client)", clientTo);
    line(
      "db backup (incl. checksums)",
      backup,
      `  ${percent(serverTo, backup)} of server COPY TO, ${percent(clientTo, backup)} of client  (${(size / 1e6).toFixed(0)} MB)`,
    );
    line("  checksum pass alone (databaseChecksums)", checksum);
    line("COPY FROM file (server-side)", serverFrom);
    line("COPY FROM STDIN <- local file (client)", clientFrom);
    line(
      "db restore (total, incl. verification)",
      restore,
      `  ${percent(serverFrom, restore)} of server COPY FROM, ${percent(clientFrom, restore)} of client`,
    );
    console.log(
      `    of it: platform + migrations ${setup.toFixed(2)} s, data load ${load.toFixed(2)} s, ` +
        `sequences + verification ${verify.toFixed(2)} s`,
    );
    line(
      "db restore (data load only)",
      load,
      `  ${percent(serverFrom, load)} of server COPY FROM, ${percent(clientFrom, load)} of client`,
    );
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
