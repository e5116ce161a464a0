import type { Service } from "../service.js";
import { createJobsRunner } from "./runner.js";

export { listDeadLetters, replayDeadLetters } from "./sql/dead-letters.js";
export { type JobsStatus, readJobsStatus } from "./sql/status.js";
export type { DeadLetter } from "./types.js";

/**
 * pg_net delivery (database webhooks included) and pg_cron scheduling in the API process
 * (docs/jobs.md). It serves no routes: its SQL APIs are the extensions' functions, reached
 * through the data API or SQL. Its workers start in the background; start does not wait for them.
 */
export const jobsService: Service = {
  name: "jobs",
  start({ config, db, log, listener, metrics }) {
    if (!config.jobs.enabled) return undefined;
    const runner = createJobsRunner({ admin: db.admin, log, listener, metrics });
    runner.start();
    return runner;
  },
};
