import path from "node:path";
import type pg from "pg";
import type { Config } from "../../config/index.js";
import { assertSafeToApply, NO_TRANSACTION_MARKER, parseMigration } from "../../migrate/apply.js";
import type { ParsedMigration } from "../../migrate/apply-in-transaction.js";
import type { MigrationFile } from "../../migrate/files.js";
import { readHistory } from "../../migrate/history.js";
import { planMigrations } from "../../migrate/plan.js";
import { loadParser } from "../../migrate/split.js";
import { migrationsCheck } from "../guard/migrations.js";
import type { Finding as MigrationLintFinding } from "../guard/types.js";
import { inspectTargetPlatform, type TargetPlatform } from "./platform.js";
import type { PlannedMigration, PushPlan } from "./types.js";

export interface PlanOptions {
  /** Run `-- groundwork:no-transaction` files after the transactional part commits. */
  readonly allowNoTransaction?: boolean;
  /** Apply pending migrations older than the newest applied one. */
  readonly includeAll?: boolean;
}

/** The plan, and what the push needs to carry it out. */
export interface PreparedPush {
  readonly plan: PushPlan;
  readonly platform: TargetPlatform;
  /** Pending migrations for the one transaction, in order. */
  readonly transactional: readonly ParsedMigration[];
  /** Pending no-transaction migrations, run after the commit. */
  readonly afterCommit: readonly ParsedMigration[];
}

/**
 * Reads the target (platform schema, migration history) and the migration files, and works out
 * what a push would do and whether it may: drift, missing files, out-of-order files, SQL that
 * does not parse or cannot run in the transaction, no-transaction files without the flag. Reads
 * only; changes nothing.
 */
export async function preparePush(
  client: pg.ClientBase,
  config: Config,
  files: readonly MigrationFile[],
  options: PlanOptions = {},
): Promise<PreparedPush> {
  await loadParser();
  const platform = await inspectTargetPlatform(client);
  const history = await readHistory(client);
  const statuses = planMigrations(files, history);
  const refusals: string[] = [];
  try {
    assertSafeToApply(statuses, { includeAll: options.includeAll });
  } catch (error) {
    refusals.push((error as Error).message);
  }
  const pendingFiles = statuses.filter((s) => s.state === "pending").map((s) => s.file as MigrationFile);
  const parsed: ParsedMigration[] = [];
  for (const file of pendingFiles) {
    try {
      parsed.push({ file, statements: parseMigration(file) });
    } catch (error) {
      refusals.push((error as Error).message);
    }
  }
  const transactional = parsed.filter(({ file }) => !NO_TRANSACTION_MARKER.test(file.sql));
  const afterCommit = parsed.filter(({ file }) => NO_TRANSACTION_MARKER.test(file.sql));
  refusals.push(...noTransactionRefusals(transactional, afterCommit, options));
  const plan: PushPlan = {
    target: {
      kind: platform.kind,
      platformFiles: platform.install.map((f) => `${String(f.version).padStart(4, "0")}_${f.name}`),
      platformSkipped: platform.skipped.map((f) => `${String(f.version).padStart(4, "0")}_${f.name}`),
    },
    appliedCount: history.length,
    pending: [...transactional, ...afterCommit].map(toPlanned),
    drift: statuses
      .filter((s) => s.state === "drifted" || s.state === "missing")
      .map((s) =>
        s.state === "drifted"
          ? `${s.version}_${s.name}.sql changed after it was applied`
          : `${s.version} is applied but has no file`,
      ),
    refusals,
    migrationLint: await lintPending(config, pendingFiles),
  };
  return { plan, platform, transactional, afterCommit };
}

function toPlanned({ file, statements }: ParsedMigration): PlannedMigration {
  return {
    version: file.version,
    fileName: file.fileName,
    statements: statements.filter((s) => s.transactionControl === null).length,
    transactional: !NO_TRANSACTION_MARKER.test(file.sql),
  };
}

function noTransactionRefusals(
  transactional: readonly ParsedMigration[],
  afterCommit: readonly ParsedMigration[],
  options: PlanOptions,
): string[] {
  if (afterCommit.length === 0) return [];
  const names = afterCommit.map(({ file }) => file.fileName).join(", ");
  if (!options.allowNoTransaction) {
    return [
      `${names} ${afterCommit.length === 1 ? "is" : "are"} marked -- groundwork:no-transaction: ${afterCommit.length === 1 ? "its" : "their"} statements cannot run in the push's transaction, ` +
        "so they cannot be rolled back with it and are not covered by its validation. Pass --allow-no-transaction to run them, " +
        "one statement at a time, after the transactional part commits.",
    ];
  }
  // They run after the commit: a transactional file newer than one of them would run before it.
  const firstAfter = afterCommit[0]?.file.version ?? "";
  const overtaking = transactional.filter(({ file }) => BigInt(file.version) > BigInt(firstAfter));
  if (overtaking.length === 0) return [];
  return [
    `${overtaking.map(({ file }) => file.fileName).join(", ")} would run before ${afterCommit[0]?.file.fileName}, which is older: ` +
      "db push runs no-transaction migrations after the transactional ones commit. Give the no-transaction migration a newer " +
      "version than every other pending one (rename it), or apply the older ones first.",
  ];
}

/** The guard's migration lint rules on the pending files. */
async function lintPending(
  config: Config,
  pending: readonly MigrationFile[],
): Promise<MigrationLintFinding[]> {
  if (pending.length === 0) return [];
  const relative = (file: string) => path.relative(config.projectDir, file).split(path.sep).join("/");
  return migrationsCheck.run({
    root: config.projectDir,
    config: config.guard,
    baseRef: null,
    migrationsDir: relative(config.migrationsDir),
    files: pending.map((file) => relative(file.path)),
    changed: [],
    readAtBase: () => null,
    listAtBase: () => [],
  });
}
