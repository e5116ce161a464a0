/**
 * ToolboxAI's analytics aggregation (examples/toolboxai) over 1,000 agents with 100 executions
 * each within 30 days (and 10 each from 31 days ago, which the run deletes), four ways, one after
 * the other in each round so that the machine's load touches them alike:
 *   - the edge function: POST /functions/v1/analytics-aggregation with the service role key, as
 *     pg_cron's net.http_post calls it (Deno, supabase-js, the data API, the SQL function);
 *   - the SQL function through the data API: POST /rest/v1/rpc/aggregate_agent_analytics (supabase-js's rpc);
 *   - the SQL function called directly: `select public.aggregate_agent_analytics(30)` over pg;
 *   - the baseline: the plain per-agent query alone (the same GROUP BY, no writes, no cleanup).
 * Each run starts from the same freshly loaded and analyzed data. Medians and spreads per way.
 *
 *   npx tsx bench/examples/toolboxai-aggregation.ts [agents, default 1000] [executions each, default 100] [rounds, default 3]
 */
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { startExampleDatabase } from "../example-database.js";
import { describeMs } from "../jobs/stats.js";

const AGENTS = Number(process.argv[2] ?? 1000);
const EXECUTIONS = Number(process.argv[3] ?? 100);
const ROUNDS = Number(process.argv[4] ?? 3);
const PROJECT = path.resolve(import.meta.dirname, "../../examples/toolboxai");

/** The per-agent read of aggregate_agent_analytics(), alone: what any such aggregation must read. */
const PLAIN_QUERY = `
  with per_agent as (
    select agent_id, count(*) as executions, count(*) filter (where status = 'completed') as completed,
           count(*) filter (where status = 'failed') as failed, avg(execution_time_ms) as avg_ms,
           percentile_cont(0.95) within group (order by execution_time_ms) as p95_ms,
           avg(quality_score) as quality, max(created_at) as last_at
      from public.agent_executions where created_at >= now() - interval '30 days' group by agent_id)
  select a.id, p.* from public.agent_instances a left join per_agent p on p.agent_id = a.id`;

/**
 * Fresh data: AGENTS agents over the two seeded organizations, EXECUTIONS executions each for the
 * seeded students within 30 days, and 10 each from 31 days ago. Loaded as a restore is (replica
 * mode), so the webhooks do not queue a notification per row.
 */
async function fill(admin: pg.Pool): Promise<void> {
  const client = await admin.connect();
  try {
    await client.query("set session_replication_role = replica");
    await client.query(
      "truncate public.agent_metrics, public.system_health, public.agent_executions, public.agent_instances cascade",
    );
    await client.query(
      `insert into public.agent_instances (organization_id, user_id, name, agent_type, status)
       select m.tenant_id, m.user_id, 'Agent n°' || i || ' 🤖', (array['tutor', 'grader', 'quiz_builder'])[1 + i % 3],
              case when i % 50 = 0 then 'error' else 'idle' end
         from generate_series(1, $1::int) i
         join lateral (select tenant_id, user_id from groundwork.memberships
                        where role = 'teacher' order by tenant_id offset i % 2 limit 1) m on true`,
      [AGENTS],
    );
    await client.query(
      `insert into public.agent_executions (organization_id, agent_id, user_id, status, execution_time_ms,
                                            quality_score, created_at)
       select a.organization_id, a.id, s.user_id,
              case when r < 0.80 then 'completed' when r < 0.90 then 'failed' when r < 0.95 then 'running' else 'pending' end,
              case when r < 0.90 then (random() * 8000)::int end,
              case when r < 0.80 then round(random()::numeric, 3) end,
              now() - random() * interval '29 days'
         from public.agent_instances a
         join lateral (select user_id from groundwork.memberships
                        where role = 'student' and tenant_id = a.organization_id limit 1) s on true,
              generate_series(1, $1::int), lateral (select random() as r) x`,
      [EXECUTIONS],
    );
    await client.query(
      `insert into public.agent_executions (organization_id, agent_id, user_id, status, execution_time_ms, created_at)
       select e.organization_id, e.agent_id, e.user_id, 'completed', 100, now() - interval '31 days'
         from (select distinct on (agent_id) organization_id, agent_id, user_id from public.agent_executions) e,
              generate_series(1, 10)`,
    );
    await client.query("set session_replication_role = origin");
    await client.query("vacuum analyze public.agent_instances, public.agent_executions");
  } finally {
    client.release();
  }
}

const example = await startExampleDatabase(PROJECT);
const admin = new pg.Pool({ connectionString: example.adminUrl, max: 2 });
admin.on("error", () => {});
// The migrations' webhooks and cron job name the local stack's address; nothing here should call it.
await admin.query("delete from net.http_request_queue");
await admin.query("select cron.unschedule('analytics-aggregation')");
const apiUrl = withCredentials(example.adminUrl, "authenticator", "postgres");
const config = await loadConfig(PROJECT, {
  DATABASE_URL: example.adminUrl,
  GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
  GROUNDWORK_API_PORT: "0",
});
const db = connectDatabase({ adminUrl: example.adminUrl, apiUrl, poolSize: 10 });
const app = await buildServer({ config, db, logLevel: "silent" });
const url = await listen(app, config);
const key = config.jwt.serviceRoleKey;

type Way = "function" | "rpc" | "sql" | "plain";
const times: Record<Way, number[]> = { function: [], rpc: [], sql: [], plain: [] };
const insideSql: number[] = [];

async function run(way: Way): Promise<void> {
  const started = performance.now();
  if (way === "function") {
    const response = await fetch(`${url}/functions/v1/analytics-aggregation`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { agentsProcessed?: number; durationMs?: number };
    if (response.status !== 200 || body.agentsProcessed !== AGENTS) {
      throw new Error(`the function answered ${response.status}: ${JSON.stringify(body)}`);
    }
    insideSql.push(Number(body.durationMs));
  } else if (way === "rpc") {
    const response = await fetch(`${url}/rest/v1/rpc/aggregate_agent_analytics`, {
      method: "POST",
      headers: { apikey: key, Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ retention_days: 30 }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { agentsProcessed?: number };
    if (response.status !== 200 || body.agentsProcessed !== AGENTS)
      throw new Error(`rpc: ${JSON.stringify(body)}`);
  } else if (way === "sql") {
    await admin.query("select public.aggregate_agent_analytics(30)");
  } else {
    const { rowCount } = await admin.query(PLAIN_QUERY);
    if (rowCount !== AGENTS) throw new Error(`plain query: ${rowCount} rows`);
  }
  times[way].push(performance.now() - started);
}

try {
  // One untimed call boots the function's worker (its cold start is not the aggregation's cost).
  await fill(admin);
  await run("function");
  times.function.length = 0;
  insideSql.length = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ["function", "rpc", "sql", "plain"] as const) {
      await fill(admin);
      await run(way);
      if (way !== "plain") {
        const { rows } = await admin.query<{ agents: number; old: number }>(
          `select (select count(*)::int from public.agent_metrics) as agents,
                  (select count(*)::int from public.agent_executions where created_at < now() - interval '30 days') as old`,
        );
        if (rows[0]?.agents !== AGENTS || rows[0]?.old !== 0) {
          throw new Error(`aggregation incomplete: ${JSON.stringify(rows[0])}`);
        }
      }
    }
  }
  console.log(
    `ToolboxAI aggregation: ${AGENTS} agents × ${EXECUTIONS} executions (+10 each past 30 days, deleted), ${ROUNDS} rounds`,
  );
  console.log(`edge function (HTTP → Deno → rpc → SQL)   ${describeMs(times.function)}`);
  console.log(`  of which inside the SQL function          ${describeMs(insideSql)}`);
  console.log(`SQL function through the data API (rpc)   ${describeMs(times.rpc)}`);
  console.log(`SQL function called directly (pg)         ${describeMs(times.sql)}`);
  console.log(`baseline: the plain per-agent query alone ${describeMs(times.plain)}`);
} finally {
  await app.close();
  await db.close();
  await admin.end();
  await example.stop();
}
