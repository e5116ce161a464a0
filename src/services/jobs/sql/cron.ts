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
 * Claims one tick of a job: true for the one process whose update moved the job's last tick
 * forward, false for every other (and for a tick older than one already run).
 */
export async function claimTick(pool: pg.Pool, jobid: string, tick: Date): Promise<boolean> {
  const { rowCount } = await pool.query(
    `insert into cron._job_state (jobid, last_tick)
     select $1, $2 where exists (select 1 from cron.job where jobid = $1)
     on conflict (jobid) do update set last_tick = excluded.last_tick
      where cron._job_state.last_tick < excluded.last_tick`,
    [jobid, tick],
  );
  return rowCount === 1;
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
