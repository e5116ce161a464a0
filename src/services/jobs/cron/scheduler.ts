import type { FastifyBaseLogger } from "fastify";
import type pg from "pg";
import type { Listener, Subscription } from "../../../db/listener.js";
import type { Metrics } from "../../../metrics/index.js";
import { activeJobs, type CronJob, claimTicks } from "../sql/cron.js";
import { runJob } from "./run-job.js";
import { parseSchedule, type Schedule } from "./schedule.js";

export interface SchedulerOptions {
  readonly pool: pg.Pool;
  readonly log: FastifyBaseLogger;
  /** The process's LISTEN connection: `groundwork_cron` is notified when cron.job changes. */
  readonly listener: Listener;
  readonly metrics: Metrics;
  /** Runs under way at once in this process (pg_cron's cron.max_running_jobs is 32). */
  readonly maxRunning?: number;
}

/** A tick older than this when first seen is missed, not run late (pg_cron does not catch up). */
const GRACE_MS = 5_000;
const RELOAD_MS = 10_000;

/**
 * Runs pg_cron jobs: every second each process looks at the active jobs of cron.job, and for a
 * job whose latest tick is new, tries to claim that tick; the one process that claims it runs the
 * command. A job still running here skips its next ticks, as pg_cron waits for a run to end.
 */
export class CronScheduler {
  readonly #options: Required<SchedulerOptions>;
  readonly #running = new Map<string, Promise<void>>();
  readonly #schedules = new Map<string, Schedule | null>();
  #jobs: CronJob[] = [];
  #loadedAt = 0;
  #stale = true;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #subscription: Subscription | null = null;
  readonly #runs;
  #ticking: Promise<void> | null = null;

  constructor(options: SchedulerOptions) {
    this.#options = { ...options, maxRunning: options.maxRunning ?? 8 };
    this.#runs = options.metrics.counter("groundwork_jobs_cron_runs_total", "pg_cron job runs, by status", [
      "status",
    ]);
  }

  start(): void {
    const reload = () => {
      this.#stale = true;
    };
    this.#subscription = this.#options.listener.subscribe("groundwork_cron", reload, { onGap: reload });
    this.#options.listener.start().catch(() => {});
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#subscription?.unsubscribe();
    await this.#ticking;
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Wakes just after the next whole second, when ticks fall due. */
  #schedule(): void {
    if (this.#stopped) return;
    const delay = 1000 - (Date.now() % 1000) + 5;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick()
        .catch((error: unknown) => this.#failed(error))
        .finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  #failed(error: unknown): void {
    const code = (error as { code?: string }).code;
    // cron.job missing: pg_cron is not created in this database (yet).
    if (code === "42P01" || code === "3F000") {
      this.#jobs = [];
      this.#loadedAt = Date.now() + 4 * RELOAD_MS;
      return;
    }
    if (!this.#stopped) this.#options.log.warn({ err: error }, "cron: scheduling failed");
  }

  async #tick(): Promise<void> {
    const now = new Date();
    if (this.#stale || now.getTime() - this.#loadedAt > RELOAD_MS) {
      this.#stale = false;
      this.#loadedAt = now.getTime();
      this.#jobs = await activeJobs(this.#options.pool);
    }
    const due: { job: CronJob; tick: Date }[] = [];
    for (const job of this.#jobs) {
      if (this.#stopped || this.#running.has(job.jobid)) continue;
      if (this.#running.size + due.length >= this.#options.maxRunning) break;
      const tick = this.#scheduleOf(job)?.latestTick(now);
      if (tick && now.getTime() - tick.getTime() <= GRACE_MS) due.push({ job, tick });
    }
    if (due.length === 0) return;
    const claimed = await claimTicks(
      this.#options.pool,
      due.map(({ job, tick }) => ({ jobid: job.jobid, tick })),
    );
    for (const { job } of due) {
      if (!claimed.has(job.jobid)) continue;
      const run = runJob(this.#options.pool, job)
        .then((status) => this.#runs.inc({ status }))
        .catch((error: unknown) =>
          this.#options.log.warn({ err: error, jobid: job.jobid }, "cron: a run failed to start"),
        )
        .finally(() => this.#running.delete(job.jobid));
      this.#running.set(job.jobid, run);
    }
  }

  #scheduleOf(job: CronJob): Schedule | null {
    const key = `${job.jobid} ${job.schedule}`;
    if (!this.#schedules.has(key)) {
      try {
        this.#schedules.set(key, parseSchedule(job.schedule));
      } catch {
        this.#options.log.warn(
          { jobid: job.jobid, schedule: job.schedule },
          "cron: a schedule cannot be parsed",
        );
        this.#schedules.set(key, null);
      }
    }
    return this.#schedules.get(key) ?? null;
  }
}
