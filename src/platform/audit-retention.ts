import type pg from "pg";
import { type Queryable, withTransaction } from "../db/transaction.js";

/** Serialises retention runs across server processes on one database ("gw" + "au"). */
export const RETENTION_LOCK_KEY = 0x67_77_61_75;
const HOUR_MS = 60 * 60 * 1000;

/**
 * Deletes the audit entries older than `retentionDays` through `groundwork.purge_audit_log`, the
 * one path the audit log's append-only triggers let through. Returns how many it deleted.
 */
export async function purgeAuditLog(client: Queryable, retentionDays: number): Promise<number> {
  const { rows } = await client.query<{ deleted: string }>(
    "select groundwork.purge_audit_log(make_interval(days => $1)) as deleted",
    [retentionDays],
  );
  return Number(rows[0]?.deleted ?? 0);
}

/** The outcome of one scheduled run: entries deleted, skipped (another process holds the lock), or failed. */
export type RetentionRun =
  | { readonly deleted: number }
  | { readonly skipped: true }
  | { readonly error: Error };

export interface RetentionOptions {
  /** Time between runs; default one hour. */
  readonly intervalMs?: number;
  /** Delay before the first run, so start-up stays fast; default one minute. */
  readonly firstRunMs?: number;
  readonly onRun?: (run: RetentionRun) => void;
}

export interface RetentionJob {
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs the audit retention periodically on `pool` (a role that owns the audit log). Several
 * server processes on one database each schedule it; a transaction-scoped advisory lock lets one
 * of them run at a time. With no retention configured, it schedules nothing.
 */
export function startAuditRetention(
  pool: pg.Pool,
  retentionDays: number | null,
  options: RetentionOptions = {},
): RetentionJob {
  if (retentionDays === null) return { stop: async () => {} };
  const days = retentionDays;
  let running: Promise<void> | null = null;
  let interval: NodeJS.Timeout | null = null;
  const run = () => {
    running ??= runOnce(pool, days)
      .then(
        (result) => options.onRun?.(result),
        (error: unknown) => options.onRun?.({ error: error as Error }),
      )
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(() => {
    run();
    interval = setInterval(run, options.intervalMs ?? HOUR_MS);
    interval.unref();
  }, options.firstRunMs ?? 60_000);
  first.unref();
  return {
    async stop() {
      clearTimeout(first);
      if (interval) clearInterval(interval);
      await running;
    },
  };
}

async function runOnce(pool: pg.Pool, days: number): Promise<RetentionRun> {
  // Skipped runs commit an empty transaction: the lock is released either way.
  return withTransaction(pool, {}, async (client): Promise<RetentionRun> => {
    const { rows } = await client.query<{ locked: boolean }>(
      "select pg_try_advisory_xact_lock($1) as locked",
      [RETENTION_LOCK_KEY],
    );
    if (!rows[0]?.locked) return { skipped: true };
    return { deleted: await purgeAuditLog(client, days) };
  });
}
