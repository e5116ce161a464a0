// Queue throughput: messages/s for send, then read + archive, through pgmq's functions vs a
// hand-written FOR UPDATE SKIP LOCKED loop on plain tables, in the same run with the same workers.
// Usage: npx tsx bench/jobs/queue.ts [messages, default 20000] [workers, default 4] [batch, default 10]
import pg from "pg";
import { startExampleDatabase } from "../example-database.js";

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WORKERS = Number(process.argv[3] ?? 4);
const BATCH = Number(process.argv[4] ?? 10);

interface Way {
  readonly name: string;
  setup(client: pg.PoolClient): Promise<void>;
  send(client: pg.PoolClient, i: number): Promise<void>;
  /** Reads up to BATCH messages and archives them; returns how many. */
  consume(client: pg.PoolClient): Promise<number>;
}

const PGMQ: Way = {
  name: "pgmq (pgmq.send / read / archive)",
  async setup(client) {
    await client.query("create extension if not exists pgmq");
    await client.query("select pgmq.create('bench')");
  },
  async send(client, i) {
    await client.query("select pgmq.send('bench', $1::jsonb)", [JSON.stringify({ i, text: "message ✓" })]);
  },
  async consume(client) {
    const { rows } = await client.query<{ msg_id: string }>("select msg_id from pgmq.read('bench', 30, $1)", [
      BATCH,
    ]);
    if (rows.length === 0) return 0;
    await client.query("select pgmq.archive('bench', $1::bigint[])", [rows.map((row) => row.msg_id)]);
    return rows.length;
  },
};

const HAND_WRITTEN: Way = {
  name: "hand-written SKIP LOCKED loop",
  async setup(client) {
    await client.query(`create table public.bench_q (id bigint generated always as identity primary key,
      vt timestamptz not null default now(), read_ct int not null default 0, message jsonb);
      create index on public.bench_q (vt);
      create table public.bench_a (id bigint primary key, read_ct int, message jsonb, archived_at timestamptz default now())`);
  },
  async send(client, i) {
    await client.query("insert into public.bench_q (message) values ($1::jsonb)", [
      JSON.stringify({ i, text: "message ✓" }),
    ]);
  },
  async consume(client) {
    const { rows } = await client.query<{ id: string }>(
      `with due as (select id from public.bench_q where vt <= now() order by id limit $1 for update skip locked)
       update public.bench_q q set vt = now() + interval '30 seconds', read_ct = q.read_ct + 1
         from due where q.id = due.id returning q.id`,
      [BATCH],
    );
    if (rows.length === 0) return 0;
    await client.query(
      `with gone as (delete from public.bench_q where id = any($1::bigint[]) returning id, read_ct, message)
       insert into public.bench_a (id, read_ct, message) select id, read_ct, message from gone`,
      [rows.map((row) => row.id)],
    );
    return rows.length;
  },
};

async function measure(pool: pg.Pool, way: Way): Promise<{ send: number; consume: number; total: number }> {
  const setup = await pool.connect();
  await way.setup(setup);
  setup.release();
  const clients = await Promise.all(Array.from({ length: WORKERS }, () => pool.connect()));
  let next = 0;
  const sendStart = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let i = next++; i < MESSAGES; i = next++) await way.send(client, i);
    }),
  );
  const sendSeconds = (performance.now() - sendStart) / 1000;
  let consumed = 0;
  const consumeStart = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (;;) {
        const n = await way.consume(client);
        if (n === 0) return;
        consumed += n;
      }
    }),
  );
  const consumeSeconds = (performance.now() - consumeStart) / 1000;
  for (const client of clients) client.release();
  if (consumed !== MESSAGES) throw new Error(`${way.name}: consumed ${consumed} of ${MESSAGES}`);
  return {
    send: MESSAGES / sendSeconds,
    consume: MESSAGES / consumeSeconds,
    total: MESSAGES / (sendSeconds + consumeSeconds),
  };
}

const example = await startExampleDatabase();
const pool = new pg.Pool({ connectionString: example.adminUrl, max: WORKERS + 1 });
pool.on("error", () => {});
try {
  console.log(`Queue: ${MESSAGES} messages, ${WORKERS} workers, read batches of ${BATCH}`);
  const results: [string, Awaited<ReturnType<typeof measure>>][] = [];
  for (const way of [HAND_WRITTEN, PGMQ]) results.push([way.name, await measure(pool, way)]);
  const baseline = results[0]?.[1];
  for (const [name, figures] of results) {
    console.log(
      `${name.padEnd(36)} send ${figures.send.toFixed(0).padStart(6)} msg/s, read+archive ${figures.consume
        .toFixed(0)
        .padStart(6)} msg/s, end to end ${figures.total.toFixed(0).padStart(6)} msg/s (${(
        (figures.total / (baseline?.total ?? 1)) * 100
      ).toFixed(0)}% of the hand-written loop)`,
    );
  }
} finally {
  await pool.end();
  await example.stop();
}
