import pg from "pg";
import { quoteQualified } from "../../db/sql.js";
import { withTransaction } from "../../db/transaction.js";
import { backupDatabase } from "../backup/backup.js";
import type { ProgressListener } from "../backup/types.js";
import { copyTables } from "./copy-tables.js";
import { copyUsers } from "./copy-users.js";
import { type PlanOptions, planSync } from "./plan.js";
import { copySequences } from "./sequences.js";
import { orderByForeignKeys } from "./tables.js";
import type { SyncPlan, SyncProgressListener, SyncResult, SyncStep, TablePlan } from "./types.js";
import { verifySync } from "./verify-sync.js";

/** The sync cannot run (schemas differ, an email clash); nothing has been changed. */
export class SyncRefusedError extends Error {
  override name = "SyncRefusedError";
  constructor(readonly problems: readonly string[]) {
    super(`sync refused, nothing was changed: ${problems.join(" ")}`);
  }
}

export interface SyncOptions extends PlanOptions {
  /** Where the target's backup is written (the project's backups/). */
  readonly backupsDir: string;
  readonly onStep?: (step: SyncStep) => void;
  readonly onBackupProgress?: ProgressListener;
  readonly onProgress?: SyncProgressListener;
}

/** What `sync push` would do to the target, without changing anything (see {@link planSync}). */
export async function explainSync(
  localUrl: string,
  targetUrl: string,
  options: PlanOptions = {},
): Promise<SyncPlan> {
  return withClients(localUrl, targetUrl, (local, target) => planSync(local, target, options));
}

/**
 * Replaces the target's public data with the local one and copies the test users:
 * 1. plans, and refuses (SyncRefusedError) when the migration histories or tables differ;
 * 2. backs the target up (ops/backup) into `backupsDir`;
 * 3. in ONE target transaction, reading local from one REPEATABLE READ snapshot: upserts tenants,
 *    users, identities and memberships; truncates every public table (one TRUNCATE, RESTART
 *    IDENTITY); streams the local rows in with COPY; sets the public sequences to the local values;
 *    commits. Triggers and foreign-key checks are off during the load (session_replication_role =
 *    replica) when the target role may set that (a superuser); otherwise user triggers are disabled
 *    per table inside the transaction (the tables' owner may) and tables load in foreign-key order
 *    with the checks on. Any failure, or the process dying, rolls all of it back;
 * 4. verifies the result ({@link verifySync}).
 */
export async function syncPush(
  localUrl: string,
  targetUrl: string,
  options: SyncOptions,
): Promise<SyncResult> {
  options.onStep?.("plan");
  const plan = await explainSync(localUrl, targetUrl, options);
  if (plan.problems.length > 0) throw new SyncRefusedError(plan.problems);
  options.onStep?.("backup");
  const backup = await backupDatabase(targetUrl, {
    backupsDir: options.backupsDir,
    ...(options.onBackupProgress ? { onProgress: options.onBackupProgress } : {}),
  });
  options.onStep?.("copy");
  const { rows, replicaMode, finalPlan } = await withClients(localUrl, targetUrl, (local, target) =>
    copyInOneTransaction(local, target, options),
  );
  options.onStep?.("verify");
  const verification = await verifySync(localUrl, targetUrl);
  return { plan: finalPlan ?? plan, backupFile: backup.file, rows, replicaMode, verification };
}

async function copyInOneTransaction(
  local: pg.Client,
  target: pg.Client,
  options: SyncOptions,
): Promise<{ rows: number; replicaMode: boolean; finalPlan: SyncPlan }> {
  // The local snapshot is only read: committing or rolling it back is the same, so the target's
  // transaction, inside it, decides.
  return withTransaction(local, { isolation: "repeatable read", readOnly: true }, () =>
    withTransaction(target, {}, async () => {
      // Planned again inside the transactions: what is copied is what was checked.
      const plan = await planSync(local, target, options);
      if (plan.problems.length > 0) throw new SyncRefusedError(plan.problems);
      const replicaMode = await trySetReplicaMode(target);
      const tables = replicaMode ? [...plan.tables] : await orderByForeignKeys(target, plan.tables);
      if (!replicaMode) await setUserTriggers(target, tables, "disable");
      await copyUsers(local, target);
      if (tables.length > 0) {
        await target.query(
          `truncate ${tables.map((t) => quoteQualified(t.schema, t.name)).join(", ")} restart identity`,
        );
      }
      const rows = await copyTables(local, target, tables, options.onProgress);
      await copySequences(local, target);
      if (replicaMode) await target.query("set local session_replication_role = origin");
      else await setUserTriggers(target, tables, "enable");
      return { rows, replicaMode, finalPlan: plan };
    }),
  );
}

/** Turns triggers and foreign-key checks off for this transaction, if the role may (a superuser). */
async function trySetReplicaMode(target: pg.ClientBase): Promise<boolean> {
  await target.query("savepoint replica_mode");
  try {
    await target.query("set local session_replication_role = replica");
    await target.query("release savepoint replica_mode");
    return true;
  } catch {
    await target.query("rollback to savepoint replica_mode");
    return false;
  }
}

async function setUserTriggers(
  target: pg.ClientBase,
  tables: readonly TablePlan[],
  action: "disable" | "enable",
): Promise<void> {
  for (const table of tables) {
    try {
      await target.query(`alter table ${quoteQualified(table.schema, table.name)} ${action} trigger user`);
    } catch (error) {
      throw new Error(
        `The target role may not set session_replication_role (a superuser may) nor ${action} the triggers of ${table.table} ` +
          `(its owner may): ${(error as Error).message}. Connect to the target as a superuser or as the tables' owner.`,
      );
    }
  }
}

async function withClients<T>(
  localUrl: string,
  targetUrl: string,
  fn: (local: pg.Client, target: pg.Client) => Promise<T>,
): Promise<T> {
  const local = new pg.Client({ connectionString: localUrl });
  const target = new pg.Client({ connectionString: targetUrl });
  try {
    await Promise.all([local.connect(), target.connect()]);
    return await fn(local, target);
  } finally {
    await Promise.all([local.end().catch(() => {}), target.end().catch(() => {})]);
  }
}
