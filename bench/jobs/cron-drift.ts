// Cron drift: '1 seconds' pg_cron jobs run by two job runners (two API processes' worth) for the
// given time; how late each run starts after its tick, ticks missed and ticks run twice. Beside it,
// a bare Node timer aligned to every second, in the same process, as the floor for this machine.
// Usage: npx tsx bench/jobs/cron-drift.ts [seconds, default 300] [jobs, default 5]
import pg from "pg";
import { startExampleDatabase } from "../example-database.js";
import { startRunner } from "./runner.js";
import { describeMs } from "./stats.js";

const SECONDS = Number(process.argv[2] ?? 300);
const JOBS = Number(process.argv[3] ?? 5);

const example = await startExampleDatabase();
const admin = new pg.Pool({ connectionString: example.adminUrl, max: 2 });
admin.on("error", () => {});
const runners = [startRunner(example.adminUrl), startRunner(example.adminUrl)];
const timerLateness: number[] = [];
try {
  await admin.query("create extension if not exists pg_cron with schema pg_catalog");
  await admin.query("create table public.cron_bench (job int, at timestamptz default clock_timestamp())");
  for (let job = 1; job <= JOBS; job++) {
    await admin.query("select cron.schedule($1, '1 seconds', $2)", [
      `drift-${job}`,
      `insert into public.cron_bench (job) values (${job})`,
    ]);
  }
  const started = new Date();
  // The baseline: a plain timer asking for every whole second.
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const due = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    timerLateness.push(Date.now() - due);
  }
  await admin.query("select cron.unschedule(jobid) from cron.job");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { rows } = await admin.query<{ jobid: string; tick: string; late_ms: number; status: string }>(
    `select jobid, date_trunc('second', start_time)::text as tick, status,
            extract(epoch from start_time - date_trunc('second', start_time)) * 1000 as late_ms
       from cron.job_run_details where start_time >= $1 and start_time < $2`,
    [new Date(started.getTime() + 2000), new Date(started.getTime() + (SECONDS - 1) * 1000)],
  );
  // A run is counted under the whole second it started in, so one that started more than a second
  // after its tick lands in the next tick's second (and that tick's own run shows up there too).
  const bySecond = new Map<string, number>();
  for (const row of rows)
    bySecond.set(`${row.jobid} ${row.tick}`, (bySecond.get(`${row.jobid} ${row.tick}`) ?? 0) + 1);
  const expected = JOBS * (SECONDS - 3);
  const doubled = [...bySecond.values()].filter((n) => n > 1).length;
  const onTime = rows.map((row) => Number(row.late_ms));
  console.log(`Cron drift: ${JOBS} '1 seconds' jobs for ${SECONDS} s, two job runners`);
  console.log(
    `pg_cron jobs   ${rows.length} runs for ${expected} ticks (${expected - rows.length} ticks not run, ${doubled} runs started >1 s after their tick, ${
      rows.filter((row) => row.status !== "succeeded").length
    } not succeeded); start after the whole second ${describeMs(onTime)}`,
  );
  console.log(`bare timer     ${timerLateness.length} wake-ups; late by ${describeMs(timerLateness)}`);
} finally {
  await Promise.all(runners.map((runner) => runner.stop()));
  await admin.end();
  await example.stop();
}
