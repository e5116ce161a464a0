/**
 * The baseline of the REST benchmark, run as its own process: the raw driver (node-postgres, same
 * pool size) doing the same transaction the API does for a request — BEGIN with the same
 * set_config values, the same statement with the same parameters, COMMIT — from `concurrency`
 * loops for `seconds`. Prints one JSON line: requests per second and latency percentiles.
 */
import pg from "pg";
import { type RequestContext, withContext } from "../../src/db/context.js";

interface Job {
  readonly url: string;
  readonly poolSize: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly context: RequestContext;
  readonly searchPath: readonly string[];
  readonly readOnly: boolean;
  readonly text: string;
  readonly values: readonly (string | null)[];
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const pool = new pg.Pool({ connectionString: job.url, max: job.poolSize });
const latencies: number[] = [];
let errors = 0;

async function once(): Promise<void> {
  await withContext(
    pool,
    job.context,
    (client) =>
      client.query({
        name: "bench_stmt",
        text: job.text,
        values: job.values as (string | null)[],
        rowMode: "array",
      }),
    { readOnly: job.readOnly, searchPath: job.searchPath },
  );
}

async function loop(until: number, record: boolean): Promise<void> {
  while (performance.now() < until) {
    const start = performance.now();
    try {
      await once();
      if (record) latencies.push(performance.now() - start);
    } catch {
      errors += 1;
    }
  }
}

const warmupEnd = performance.now() + 3000;
await Promise.all(Array.from({ length: job.concurrency }, () => loop(warmupEnd, false)));
const started = performance.now();
const end = started + job.seconds * 1000;
await Promise.all(Array.from({ length: job.concurrency }, () => loop(end, true)));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50: pct(50),
    p99: pct(99),
    errors,
    count: latencies.length,
  }),
);
await pool.end();
