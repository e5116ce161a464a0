// Webhook delivery: rows inserted at a steady rate into a table with a Studio-style database
// webhook; commit-to-receipt latency and sustained deliveries/s, pg_net-style single shot vs a
// retry policy (every first attempt answered 503), then a burst for the ceiling.
// Usage: npx tsx bench/jobs/webhook-delivery.ts [seconds per phase, default 20] [rate/s, default 200]
import http from "node:http";
import pg from "pg";
import { startExampleDatabase } from "../example-database.js";
import { startRunner } from "./runner.js";
import { describeMs } from "./stats.js";

const SECONDS = Number(process.argv[2] ?? 20);
const RATE = Number(process.argv[3] ?? 200);
const BURST = 5000;

const committed = new Map<number, number>();
const received = new Map<number, number>();
const attempts = new Map<number, number>();
let failFirst = false;
const receiver = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const id = Number(JSON.parse(Buffer.concat(chunks).toString()).record.id);
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    if (failFirst && n === 1) {
      response.writeHead(503).end();
      return;
    }
    if (!received.has(id)) received.set(id, performance.now());
    response.writeHead(200).end("ok");
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const address = receiver.address();
const target = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;

const example = await startExampleDatabase();
const admin = new pg.Pool({ connectionString: example.adminUrl, max: 8 });
admin.on("error", () => {});
await admin.query(
  `create table public.bench_events (id bigint generated always as identity primary key, body text)`,
);
await admin.query(`create trigger bench_hook after insert on public.bench_events for each row
  execute function supabase_functions.http_request('${target}', 'POST', '{"Content-Type":"application/json"}', '{}', '5000')`);
const runner = startRunner(example.adminUrl);

async function insertOne(): Promise<void> {
  const { rows } = await admin.query<{ id: string }>(
    "insert into public.bench_events (body) values ('payload ✓') returning id",
  );
  committed.set(Number(rows[0]?.id), performance.now());
}

async function waitDelivered(ids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ids.some((id) => !received.has(id)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

/** Inserts at RATE/s for SECONDS, each its own transaction; returns the ids. */
async function steady(): Promise<{ ids: number[]; elapsed: number; committedPerSecond: number }> {
  const before = new Set(committed.keys());
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(insertOne());
  }
  await Promise.all(pending);
  const ids = [...committed.keys()].filter((id) => !before.has(id));
  await waitDelivered(ids, 30_000);
  const last = Math.max(...ids.map((id) => received.get(id) ?? 0));
  const lastCommit = Math.max(...ids.map((id) => committed.get(id) ?? 0));
  return {
    ids,
    elapsed: (last - start) / 1000,
    committedPerSecond: ids.length / ((lastCommit - start) / 1000),
  };
}

function report(name: string, ids: number[], elapsed: number): void {
  const latencies = ids
    .filter((id) => received.has(id))
    .map((id) => (received.get(id) ?? 0) - (committed.get(id) ?? 0));
  const sent = ids.reduce((sum, id) => sum + (attempts.get(id) ?? 0), 0);
  console.log(
    `${name.padEnd(28)} ${String(latencies.length).padStart(6)}/${ids.length} delivered, ${(latencies.length / elapsed).toFixed(0)} deliveries/s, ${sent} HTTP requests; commit-to-receipt ${describeMs(latencies)}`,
  );
}

try {
  console.log(`Webhook delivery: ${RATE} inserts/s for ${SECONDS} s per phase, one API process delivering`);
  const single = await steady();
  report("pg_net-style single shot", single.ids, single.elapsed);
  console.log(`  (inserts committed at ${single.committedPerSecond.toFixed(0)}/s)`);

  await admin.query(
    "insert into groundwork.http_policies (url_prefix, max_attempts, backoff_base_ms) values ($1, 3, 100)",
    [target],
  );
  await new Promise((r) => setTimeout(r, 300));
  failFirst = true;
  const retried = await steady();
  report("retried (1st attempt 503)", retried.ids, retried.elapsed);
  console.log(`  (inserts committed at ${retried.committedPerSecond.toFixed(0)}/s)`);
  failFirst = false;
  await admin.query("delete from groundwork.http_policies");
  await new Promise((r) => setTimeout(r, 300));

  const before = new Set(committed.keys());
  const start = performance.now();
  await admin.query(
    `insert into public.bench_events (body) select 'burst ' || i from generate_series(1, ${BURST}) i`,
  );
  const { rows } = await admin.query<{ id: string }>(
    "select id from public.bench_events order by id desc limit $1",
    [BURST],
  );
  const committedAt = performance.now();
  for (const row of rows) committed.set(Number(row.id), committedAt);
  const burstIds = rows.map((row) => Number(row.id)).filter((id) => !before.has(id));
  await waitDelivered(burstIds, 120_000);
  const last = Math.max(...burstIds.map((id) => received.get(id) ?? 0));
  report(`burst of ${BURST} in one commit`, burstIds, (last - start) / 1000);
  const { rows: failures } = await admin.query<{ error_msg: string; n: number }>(
    "select error_msg, count(*)::int as n from net._http_response where error_msg is not null group by 1",
  );
  for (const failure of failures)
    console.log(`  failed (single shot, not retried): ${failure.n} × ${failure.error_msg}`);
} finally {
  await runner.stop();
  await admin.end();
  receiver.closeAllConnections();
  receiver.close();
  await example.stop();
}
