import type { FastifyInstance } from "fastify";
import type { Service, ServiceDeps } from "../service.js";
import { createJobsRunner } from "./runner.js";

export { listDeadLetters, replayDeadLetters } from "./sql/dead-letters.js";
export { type JobsStatus, readJobsStatus } from "./sql/status.js";
export type { DeadLetter } from "./types.js";

/**
 * pg_net delivery (database webhooks included) and pg_cron scheduling in the API process
 * (docs/jobs.md). It serves no routes: its SQL APIs are the extensions' functions, reached
 * through the data API or SQL. Its workers start once the server is ready, in the background.
 */
export const jobsService: Service = {
  name: "jobs",
  prefix: "/jobs",
  register(scope: FastifyInstance, { config, db }: ServiceDeps) {
    if (!config.jobs.enabled) return;
    const runner = createJobsRunner({ admin: db.admin, log: scope.log });
    scope.addHook("onReady", () => {
      runner.start();
    });
    scope.addHook("onClose", () => runner.stop());
  },
};
