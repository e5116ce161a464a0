import type pg from "pg";

/** A job of cron.job as the scheduler runs it. */
export interface CronJob {
  readonly jobid: string;
  readonly schedule: string;
  readonly command: string;
  readonly username: string;
  readonly database: string;
}

/** The active jobs of this database (pg_cron runs a job in the database it names). */
export async function activeJobs(pool: pg.Pool): Promise<CronJob[]> {
  const { rows } = await pool.query<CronJob>(
    `select jobid, schedule, command, username, database from cron.job
      where active and database = current_database() order by jobid`,
  );
  return rows;
}

/**
 * Claims due ticks, one per job, in one statement: returns the jobs whose last tick this call
 * moved forward. Every other process trying the same tick gets nothing back for it, and a tick
 * older than one already run is never claimed.
 */
export async function claimTicks(
  pool: pg.Pool,
  due: readonly { jobid: string; tick: Date }[],
): Promise<Set<string>> {
  const { rows } = await pool.query<{ jobid: string }>(
    `insert into cron._job_state (jobid, last_tick)
     select t.jobid, t.tick from unnest($1::bigint[], $2::timestamptz[]) as t(jobid, tick)
      where exists (select 1 from cron.job j where j.jobid = t.jobid)
     on conflict (jobid) do update set last_tick = excluded.last_tick
      where cron._job_state.last_tick < excluded.last_tick
     returning jobid`,
    [due.map((d) => d.jobid), due.map((d) => d.tick)],
  );
  return new Set(rows.map((row) => row.jobid));
}

/** Starts a run record on the connection that runs the command (job_pid is its backend). */
export async function startRun(client: pg.ClientBase, job: CronJob): Promise<string> {
  const { rows } = await client.query<{ runid: string }>(
    `insert into cron.job_run_details (jobid, job_pid, database, username, command, status, start_time)
     values ($1, pg_backend_pid(), $2, $3, $4, 'running', clock_timestamp()) returning runid`,
    [job.jobid, job.database, job.username, job.command],
  );
  return rows[0]?.runid ?? "";
}

/** Ends a run record: 'succeeded' or 'failed', with the command tag or the error. */
export async function endRun(
  pool: pg.Pool,
  runid: string,
  status: "succeeded" | "failed",
  message: string,
): Promise<void> {
  await pool.query(
    "update cron.job_run_details set status = $2, return_message = $3, end_time = clock_timestamp() where runid = $1",
    [runid, status, message],
  );
}
