import type pg from "pg";
import { type CronJob, endRun, startRun } from "../sql/cron.js";

/**
 * Runs a job's command as pg_cron does: on its own connection, as the job's user, outside any
 * transaction block (so VACUUM and CALL with COMMIT work; several statements run as one implicit
 * transaction), recorded in cron.job_run_details with the command tag or the error.
 */
export async function runJob(pool: pg.Pool, job: CronJob): Promise<"succeeded" | "failed"> {
  const client = await pool.connect();
  let runid: string | null = null;
  try {
    runid = await startRun(client, job);
    await client.query("select set_config('role', $1, false)", [job.username]);
    const result = (await client.query(job.command)) as pg.QueryResult | pg.QueryResult[];
    await endRun(pool, runid, "succeeded", commandTag(result));
    return "succeeded";
  } catch (error) {
    if (runid !== null) await endRun(pool, runid, "failed", `ERROR:  ${(error as Error).message}`);
    else throw error;
    return "failed";
  } finally {
    await reuseOrDrop(client);
  }
}

/**
 * Puts the connection back clean, or drops it: the command may have left a role, settings, an
 * open transaction or temporary tables behind, which ROLLBACK and DISCARD ALL undo.
 */
async function reuseOrDrop(client: pg.PoolClient): Promise<void> {
  try {
    await client.query("rollback");
    await client.query("discard all");
    client.release();
  } catch {
    client.release(true);
  }
}

/** The command tag of the last statement, as psql prints it ("INSERT 0 1", "SELECT 3", "CALL"). */
function commandTag(result: pg.QueryResult | pg.QueryResult[]): string {
  const last = Array.isArray(result) ? result.at(-1) : result;
  if (!last?.command) return "";
  if (last.command === "INSERT") return `INSERT 0 ${last.rowCount ?? 0}`;
  return last.rowCount === null ? last.command : `${last.command} ${last.rowCount}`;
}
