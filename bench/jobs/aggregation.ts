// Analytics aggregation as a pg_cron job: 1,000 agents with 100 executions each (plus 31-day-old
// executions for the 30-day cleanup) rolled up into per-agent metrics and a system health score.
// The run's time as cron.job_run_details records it, beside the same SQL sent straight by a client.
// Usage: npx tsx bench/jobs/aggregation.ts [agents, default 1000] [executions each, default 100] [rounds, default 3]
import pg from "pg";
import { startExampleDatabase } from "../example-database.js";
import { startRunner } from "./runner.js";
import { describeMs } from "./stats.js";

const AGENTS = Number(process.argv[2] ?? 1000);
const EXECUTIONS = Number(process.argv[3] ?? 100);
const ROUNDS = Number(process.argv[4] ?? 3);

const SCHEMA = `
create table public.agents (id bigint primary key, name text not null);
create table public.agent_executions (
  id bigint generated always as identity primary key,
  agent_id bigint not null references public.agents (id),
  started_at timestamptz not null,
  duration_ms integer not null,
  succeeded boolean not null
);
create index on public.agent_executions (started_at);
create index on public.agent_executions (agent_id, started_at);
create table public.agent_metrics (
  agent_id bigint primary key references public.agents (id),
  executions integer not null, success_rate numeric not null, avg_duration_ms numeric not null,
  p95_duration_ms numeric not null, computed_at timestamptz not null
);
create table public.system_health (computed_at timestamptz primary key, score numeric not null, agents integer not null);
create function public.aggregate_agent_analytics() returns void language sql as $$
  delete from public.agent_executions where started_at < now() - interval '30 days';
  insert into public.agent_metrics (agent_id, executions, success_rate, avg_duration_ms, p95_duration_ms, computed_at)
  select agent_id, count(*), avg(succeeded::int), avg(duration_ms),
         percentile_cont(0.95) within group (order by duration_ms), now()
    from public.agent_executions where started_at >= now() - interval '30 days'
   group by agent_id
  on conflict (agent_id) do update set executions = excluded.executions, success_rate = excluded.success_rate,
    avg_duration_ms = excluded.avg_duration_ms, p95_duration_ms = excluded.p95_duration_ms,
    computed_at = excluded.computed_at;
  insert into public.system_health (computed_at, score, agents)
  select now(), round(100 * avg(success_rate) * least(1, 1000 / greatest(avg(avg_duration_ms), 1)), 2), count(*)
    from public.agent_metrics
  on conflict (computed_at) do nothing;
$$;`;

/** The executions: EXECUTIONS per agent within 30 days, and 10 per agent from 31 days ago. */
const FILL: [string, (string | number)[]][] = [
  [
    "insert into public.agents select i, 'agent ' || i || ' 🤖' from generate_series(1, $1::int) i on conflict do nothing",
    [AGENTS],
  ],
  [
    `insert into public.agent_executions (agent_id, started_at, duration_ms, succeeded)
     select a, now() - (random() * interval '29 days'), (random() * 2000)::int, random() > 0.1
       from generate_series(1, $1::int) a, generate_series(1, $2::int)`,
    [AGENTS, EXECUTIONS],
  ],
  [
    `insert into public.agent_executions (agent_id, started_at, duration_ms, succeeded)
     select a, now() - interval '31 days', 100, true from generate_series(1, $1::int) a, generate_series(1, 10)`,
    [AGENTS],
  ],
];

const example = await startExampleDatabase();
const admin = new pg.Pool({ connectionString: example.adminUrl, max: 2 });
admin.on("error", () => {});
const runner = startRunner(example.adminUrl);
const viaCron: number[] = [];
const direct: number[] = [];
try {
  await admin.query("create extension if not exists pg_cron with schema pg_catalog");
  await admin.query(SCHEMA);
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ["cron", "direct"] as const) {
      await admin.query("truncate public.agent_metrics, public.system_health, public.agent_executions");
      for (const [statement, params] of FILL) await admin.query(statement, params);
      await admin.query("vacuum analyze public.agent_executions");
      if (way === "direct") {
        const start = performance.now();
        await admin.query("select public.aggregate_agent_analytics()");
        direct.push(performance.now() - start);
      } else {
        const { rows } = await admin.query<{ jobid: string }>(
          "select cron.schedule('aggregate', '1 seconds', 'select public.aggregate_agent_analytics()') as jobid",
        );
        const jobid = rows[0]?.jobid;
        let ms: number | undefined;
        while (ms === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const run = await admin.query<{ ms: number }>(
            `select extract(epoch from end_time - start_time) * 1000 as ms from cron.job_run_details
              where jobid = $1 and status = 'succeeded' order by runid limit 1`,
            [jobid],
          );
          ms = run.rows[0] === undefined ? undefined : Number(run.rows[0].ms);
        }
        await admin.query("select cron.unschedule($1::bigint)", [jobid]);
        viaCron.push(ms);
      }
      const check = await admin.query<{ agents: number; old: number }>(
        `select (select count(*)::int from public.agent_metrics) as agents,
                (select count(*)::int from public.agent_executions where started_at < now() - interval '30 days') as old`,
      );
      if (check.rows[0]?.agents !== AGENTS || check.rows[0]?.old !== 0) {
        throw new Error(`aggregation incomplete: ${JSON.stringify(check.rows[0])}`);
      }
    }
  }
  console.log(
    `Aggregation: ${AGENTS} agents × ${EXECUTIONS} executions (+10 each past 30 days, deleted), ${ROUNDS} rounds`,
  );
  console.log(`as a pg_cron job (job_run_details)  ${describeMs(viaCron)}`);
  console.log(`same SQL sent by a client           ${describeMs(direct)}`);
} finally {
  await runner.stop();
  await admin.end();
  await example.stop();
}
