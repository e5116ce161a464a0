import { randomBytes } from "node:crypto";
import os from "node:os";
import type { FastifyBaseLogger } from "fastify";
import pg from "pg";
import type { Listener } from "../../db/listener.js";
import type { Metrics } from "../../metrics/index.js";
import { CronScheduler } from "./cron/scheduler.js";
import { type DeliveryOptions, DeliveryWorker } from "./delivery/worker.js";

export interface JobsRunnerOptions {
  /** The platform pool, whose connection settings the runner's own small pool copies. */
  readonly admin: pg.Pool;
  readonly log: FastifyBaseLogger;
  readonly listener: Listener;
  readonly metrics: Metrics;
  /** See {@link DeliveryOptions.leaseMarginMs} (default 30 s). */
  readonly leaseMarginMs?: number;
}

/** The background half of the jobs service: pg_net delivery and pg_cron scheduling. */
export interface JobsRunner {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Delivery and scheduling on a pool of their own (a cron command may hold a connection for
 * minutes; requests must never wait behind it, nor the API's platform queries behind either).
 * Nothing here blocks start: both loops begin in the background.
 */
export function createJobsRunner(options: JobsRunnerOptions): JobsRunner {
  const pool = new pg.Pool({
    ...options.admin.options,
    max: 6,
    application_name: "groundwork (jobs)",
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", () => {});
  const workerId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const { log, listener, metrics } = options;
  const delivery = new DeliveryWorker({
    pool,
    log,
    listener,
    metrics,
    workerId,
    leaseMarginMs: options.leaseMarginMs,
  });
  const cron = new CronScheduler({ pool, log, listener, metrics });
  let stopped: Promise<void> | null = null;
  return {
    start() {
      delivery.start();
      cron.start();
    },
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled([delivery.stop(), cron.stop()]);
        await pool.end();
      })();
      return stopped;
    },
  };
}
