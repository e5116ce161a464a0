import type pg from "pg";

/** What `groundwork jobs status` shows of a database's jobs. */
export interface JobsStatus {
  /** Null when pg_net is not created in the database. */
  readonly requests: { queued: number; due: number; sending: number; retrying: number } | null;
  readonly deadLetters: number;
  /** Null when pg_cron is not created in the database. */
  readonly cron:
    | {
        jobid: string;
        jobname: string | null;
        schedule: string;
        active: boolean;
        lastStatus: string | null;
        lastStart: string | null;
      }[]
    | null;
  /** Null when pgmq is not created in the database. */
  readonly queues: { name: string; length: number; total: number }[] | null;
}

async function exists(client: pg.ClientBase, relation: string): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>("select to_regclass($1) is not null as present", [
    relation,
  ]);
  return rows[0]?.present ?? false;
}

/** Reads the state of requests, dead letters, cron jobs and queues in one database. */
export async function readJobsStatus(client: pg.ClientBase): Promise<JobsStatus> {
  const [net, cron, pgmq, dead] = await Promise.all([
    exists(client, "net.http_request_queue"),
    exists(client, "cron.job"),
    exists(client, "pgmq.meta"),
    exists(client, "groundwork.http_dead_letters"),
  ]);
  const requests = net
    ? ((
        await client.query<{ queued: number; due: number; sending: number; retrying: number }>(
          `select count(*)::int as queued,
                  count(*) filter (where run_at <= now() and locked_by is null)::int as due,
                  count(*) filter (where locked_until >= now())::int as sending,
                  count(*) filter (where run_at > now() and attempts > 0)::int as retrying
             from net.http_request_queue`,
        )
      ).rows[0] ?? null)
    : null;
  const deadLetters = dead
    ? ((await client.query<{ n: number }>("select count(*)::int as n from groundwork.http_dead_letters"))
        .rows[0]?.n ?? 0)
    : 0;
  const jobs = cron
    ? (
        await client.query<NonNullable<JobsStatus["cron"]>[number]>(
          `select j.jobid::text as "jobid", j.jobname, j.schedule, j.active,
                  r.status as "lastStatus",
                  to_char(r.start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "lastStart"
             from cron.job j
             left join lateral (select status, start_time from cron.job_run_details d
                                 where d.jobid = j.jobid order by runid desc limit 1) r on true
            order by j.jobid`,
        )
      ).rows
    : null;
  const queues = pgmq
    ? (
        await client.query<{ name: string; length: number; total: number }>(
          `select queue_name as name, queue_length::int as length, total_messages::int as total
             from pgmq.metrics_all() order by queue_name`,
        )
      ).rows
    : null;
  return { requests, deadLetters, cron: jobs, queues };
}
