import type { TableReader } from "./reader.js";

/** Background jobs: pg_net delivery and pg_cron scheduling (docs/jobs.md). */
export interface JobsConfig {
  /**
   * Whether this process delivers requests and runs cron jobs (`[jobs] enabled`, env
   * `GROUNDWORK_JOBS_ENABLED=false`): turn it off in processes that should only serve requests.
   */
  readonly enabled: boolean;
}

/** `groundwork.toml` `[jobs]`. */
export function readJobs(jobs: TableReader, env: NodeJS.ProcessEnv): JobsConfig {
  const fromEnv = env.GROUNDWORK_JOBS_ENABLED?.trim().toLowerCase();
  if (fromEnv === "false" || fromEnv === "0" || fromEnv === "off") return { enabled: false };
  if (fromEnv === "true" || fromEnv === "1" || fromEnv === "on") return { enabled: true };
  return { enabled: jobs.boolean("enabled", true) };
}
