import pg from "pg";
import pino from "pino";
import { Listener } from "../../src/db/listener.js";
import { Metrics } from "../../src/metrics/index.js";
import { createJobsRunner } from "../../src/services/jobs/runner.js";

/** A jobs runner (delivery + cron) on `url`, as one API process runs it; stop() undoes it all. */
export function startRunner(url: string): { stop(): Promise<void> } {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on("error", () => {});
  const listener = new Listener({ pool: admin });
  const runner = createJobsRunner({ admin, log: pino({ level: "warn" }), listener, metrics: new Metrics() });
  runner.start();
  return {
    async stop() {
      await runner.stop();
      await listener.close();
      await admin.end();
    },
  };
}
