import type { Metrics } from "../metrics/index.js";
import type { Database } from "./pool.js";

/**
 * `groundwork_db_pool_connections{pool, state}`: each pool's connections in use and idle, and the
 * requests waiting for one, read when the metrics are scraped.
 */
export function registerPoolMetrics(metrics: Metrics, db: Database): void {
  metrics.gauge(
    "groundwork_db_pool_connections",
    "Database pool connections by pool (api, admin) and state (in_use, idle, waiting: requests queued for one)",
    ["pool", "state"],
    (gauge) => {
      for (const [name, pool] of [
        ["api", db.api],
        ["admin", db.admin],
      ] as const) {
        gauge.set({ pool: name, state: "in_use" }, pool.totalCount - pool.idleCount);
        gauge.set({ pool: name, state: "idle" }, pool.idleCount);
        gauge.set({ pool: name, state: "waiting" }, pool.waitingCount);
      }
    },
  );
}
