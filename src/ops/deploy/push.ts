import path from "node:path";
import pg from "pg";
import type { Config } from "../../config/index.js";
import { withTransaction } from "../../db/transaction.js";
import { acquireMigrationLock, applyMigrationFile, releaseMigrationLock } from "../../migrate/apply.js";
import { applyInOpenTransaction } from "../../migrate/apply-in-transaction.js";
import { readMigrationDirectory } from "../../migrate/files.js";
import { ensureHistoryTable } from "../../migrate/history.js";
import type { Level } from "../advisor/types.js";
import { backupDatabase } from "../backup/backup.js";
import type { ProgressListener } from "../backup/types.js";
import { type PreparedPush, preparePush } from "./plan.js";
import { installPlatformInTransaction } from "./platform.js";
import {
  PushAfterCommitError,
  type PushPlan,
  PushRefusedError,
  type PushResult,
  type PushStep,
  PushValidationError,
  type ValidationCheck,
} from "./types.js";
import { validateInTransaction } from "./validate.js";

export interface PushOptions {
  readonly config: Config;
  /** Do everything, validation included, then roll back (no backup: nothing changes). */
  readonly dryRun?: boolean;
  /** Back up the target before changing it (default true). */
  readonly backup?: boolean;
  readonly allowNoTransaction?: boolean;
  readonly includeAll?: boolean;
  /** The least severe `db lint` level that fails the push (default ERROR); null: never. */
  readonly failOn?: Level | null;
  /** Extra `db lint` exclusions. */
  readonly exclude?: readonly string[];
  /** Called with the plan before anything changes (also when the push then refuses). */
  readonly onPlan?: (plan: PushPlan) => void;
  readonly onStep?: (step: PushStep) => void;
  readonly onBackupProgress?: ProgressListener;
  readonly onMigration?: (fileName: string, index: number, total: number) => void;
}

const ROLLED_BACK = "The push was rolled back: the target is exactly as it was before it.";

/**
 * `groundwork db push`: plans, backs up the target, then installs the platform schema (if
 * missing) and applies every pending migration in ONE transaction, validates inside it, and
 * commits (or, with `dryRun`, always rolls back). No-transaction migrations run after the commit.
 * Holds the migration lock throughout. Throws {@link PushRefusedError} before any change,
 * `SqlFileError` or {@link PushValidationError} after a rollback.
 */
export async function pushMigrations(url: string, options: PushOptions): Promise<PushResult> {
  const started = Date.now();
  const { config } = options;
  const files = readMigrationDirectory(config.migrationsDir).migrations;
  const client = new pg.Client({ connectionString: url, application_name: "groundwork db push" });
  await client.connect();
  try {
    await acquireMigrationLock(client);
    try {
      const timer = stepTimer(options.onStep);
      const prepared = await preparePush(client, config, files, options);
      timer.done("plan");
      options.onPlan?.(prepared.plan);
      if (prepared.plan.refusals.length > 0) throw new PushRefusedError(prepared.plan);
      const result = await carryOut(client, url, prepared, options, timer);
      return { ...result, durationMs: Date.now() - started, timings: timer.timings };
    } finally {
      await releaseMigrationLock(client).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

async function carryOut(
  client: pg.Client,
  url: string,
  prepared: PreparedPush,
  options: PushOptions,
  timer: StepTimer,
): Promise<Omit<PushResult, "durationMs" | "timings">> {
  const { plan, platform, transactional, afterCommit } = prepared;
  const dryRun = options.dryRun === true;
  const changes = platform.install.length > 0 || plan.pending.length > 0;
  let backupFile: string | null = null;
  if (changes && !dryRun && options.backup !== false) {
    timer.start("backup");
    const backup = await backupDatabase(url, {
      backupsDir: path.join(options.config.projectDir, "backups"),
      ...(options.onBackupProgress ? { onProgress: options.onBackupProgress } : {}),
    });
    backupFile = backup.file;
    timer.done("backup");
  }

  let platformInstalled: string[] = [];
  let applied: string[] = [];
  let validation: ValidationCheck[] = [];
  const rehearsal = dryRun || !changes;
  await withTransaction(client, { rollback: rehearsal }, async () => {
    if (platform.install.length > 0) {
      timer.start("platform");
      platformInstalled = await installPlatformInTransaction(client, platform);
      timer.done("platform");
    }
    await ensureHistoryTable(client);
    if (transactional.length > 0) {
      timer.start("migrations");
      const done = await applyInOpenTransaction(client, transactional, {
        outcome: ROLLED_BACK,
        onMigration: (file, index, total) => options.onMigration?.(file.fileName, index, total),
      });
      applied = done.map((file) => file.fileName);
      timer.done("migrations");
    }
    timer.start("validation");
    validation = await validateInTransaction(client, {
      config: options.config,
      files: readMigrationDirectory(options.config.migrationsDir).migrations,
      pendingAfterCommit: new Set(afterCommit.map(({ file }) => file.version)),
      failOn: options.failOn === undefined ? "ERROR" : options.failOn,
      ...(options.exclude ? { exclude: options.exclude } : {}),
    });
    timer.done("validation");
    if (validation.some((check) => check.status === "failed")) {
      throw new PushValidationError(validation, dryRun);
    }
    timer.start(rehearsal ? "rollback" : "commit");
  });
  timer.done(rehearsal ? "rollback" : "commit");

  const appliedWithoutTransaction: string[] = [];
  if (!dryRun && afterCommit.length > 0) {
    timer.start("no-transaction");
    for (const { file, statements } of afterCommit) {
      try {
        await applyMigrationFile(client, file, statements);
      } catch (error) {
        await client.query("notify pgrst, 'reload schema'").catch(() => {});
        throw new PushAfterCommitError(error as Error, applied, backupFile);
      }
      appliedWithoutTransaction.push(file.fileName);
    }
    timer.done("no-transaction");
  }
  const committed = !dryRun && changes;
  // The data API reloads its schema cache on this (see applyMigrations).
  if (committed) await client.query("notify pgrst, 'reload schema'");
  return {
    plan,
    dryRun,
    committed,
    platformInstalled,
    applied,
    appliedWithoutTransaction,
    validation,
    backupFile,
  };
}

interface StepTimer {
  start(step: PushStep): void;
  done(step: PushStep | "plan"): void;
  readonly timings: Partial<Record<PushStep | "plan", number>>;
}

function stepTimer(onStep: ((step: PushStep) => void) | undefined): StepTimer {
  let since = Date.now();
  const timings: Partial<Record<PushStep | "plan", number>> = {};
  return {
    timings,
    start(step) {
      since = Date.now();
      onStep?.(step);
    },
    done(step) {
      timings[step] = Date.now() - since;
      since = Date.now();
    },
  };
}
