import path from "node:path";
import { SqlFileError } from "../../migrate/sql-file-error.js";
import { LEVELS, type Level } from "../../ops/advisor/types.js";
import { pushMigrations } from "../../ops/deploy/push.js";
import {
  type PushPlan,
  PushRefusedError,
  type PushResult,
  type PushStep,
  PushValidationError,
  type ValidationCheck,
} from "../../ops/deploy/types.js";
import { logOperation } from "../../ops/operations-log.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { note, print, printJson } from "../output.js";
import { progressBar } from "../progress-bar.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const dbPushHelp = `Applies the pending migrations to a database in one transaction, validated before commit (docs/cli/db-push.md).

Prints the plan (pending migrations, drift, migration lint), backs the target up, installs the
platform schema if missing, applies every pending migration in ONE transaction, then checks the
migration history, db lint and test rls inside that transaction: any failure rolls everything back.

Usage:
  groundwork db push [--target NAME | --db-url URL] [--dry-run] [options]

Options:
  --dry-run                a rehearsal: everything, validation included, then rolled back
  --target NAME            a database named in groundwork.toml [targets.NAME]
  --db-url URL             the database by URL (default: DATABASE_URL, the running stack, or the embedded cluster)
  --allow-no-transaction   run -- groundwork:no-transaction migrations after the transaction commits
  --include-all            apply pending migrations older than the newest applied one
  --fail-on LEVEL          db lint level that fails the push: ERROR (default), WARN, INFO or none
  --exclude ID             leave a db lint finding out (name or id, * wildcards; repeatable)
  --no-backup              skip the backup (only if the target is backed up another way)
  --json                   print the plan and the outcome as JSON
  --workdir DIR            the project folder (default: the current folder)

Exit codes: 0 pushed (or rehearsed) and validated, 1 refused, failed or rolled back, 2 usage error.`;

const STEP_LABELS: Record<PushStep, string> = {
  backup: "Backing up the target…",
  platform: "Installing the platform schema (in the transaction)…",
  migrations: "Applying migrations in one transaction…",
  validation: "Validating inside the transaction (history, db lint, test rls)…",
  commit: "Committing…",
  rollback: "Rolling back…",
  "no-transaction": "Running no-transaction migrations, after the commit…",
};

/** `groundwork db push`. */
export async function dbPushCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    "dry-run": { type: "boolean" },
    target: { type: "string" },
    "db-url": { type: "string" },
    "allow-no-transaction": { type: "boolean" },
    "include-all": { type: "boolean" },
    "fail-on": { type: "string" },
    exclude: { type: "string", multiple: true },
    "no-backup": { type: "boolean" },
    json: { type: "boolean" },
  });
  if (values.help) {
    print(dbPushHelp);
    return 0;
  }
  const failOn = parseFailOn(values["fail-on"] ?? "ERROR");
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const target = values.target ?? dbUrl ?? "local";
  const dryRun = values["dry-run"] === true;
  const json = values.json === true;
  const what = dryRun ? "db push --dry-run" : "db push";
  let plan: PushPlan | null = null;
  const bar = progressBar("Backing up");
  try {
    const result = await withDatabaseUrl(config, dbUrl, (url) =>
      pushMigrations(url, {
        config,
        dryRun,
        backup: values["no-backup"] !== true,
        allowNoTransaction: values["allow-no-transaction"] === true,
        includeAll: values["include-all"] === true,
        failOn,
        exclude: values.exclude ?? [],
        onPlan: (p) => {
          plan = p;
          if (!json) for (const line of planLines(p, target, dryRun)) print(line);
        },
        onStep: (step) => {
          bar.done();
          if (!json) note(STEP_LABELS[step]);
        },
        onBackupProgress: json ? undefined : bar.update,
        onMigration: (file, index, total) => {
          if (!json) note(`  [${index + 1}/${total}] ${file}`);
        },
      }),
    );
    bar.done();
    logOperation(config.stateDir, {
      what,
      target,
      outcome: "ok",
      ...(result.backupFile ? { backupFile: result.backupFile } : {}),
      detail: outcomeLine(result),
    });
    if (json)
      printJson({ outcome: dryRun ? "rehearsed" : result.committed ? "pushed" : "up to date", ...result });
    else for (const line of resultLines(result)) print(line);
    return 0;
  } catch (error) {
    bar.done();
    const message = (error as Error).message;
    logOperation(config.stateDir, { what, target, outcome: "failed", detail: message });
    if (json) {
      printJson({ outcome: "failed", error: message, plan, ...validationOf(error) });
      return 1;
    }
    if (error instanceof PushValidationError) {
      print("Validation:");
      for (const line of checkLines(error.checks)) print(line);
      note(`${dryRun ? "Rehearsal failed" : "Push failed"}: ${message}.`);
    } else if (error instanceof PushRefusedError) {
      note(message);
    } else if (error instanceof SqlFileError) {
      note(`Push failed:\n${message}`);
    } else {
      note(`Push failed: ${message}`);
    }
    return 1;
  }
}

function parseFailOn(text: string): Level | null {
  if (text.toLowerCase() === "none") return null;
  const level = LEVELS.find((candidate) => candidate === text.toUpperCase());
  if (!level) throw new UsageError(`--fail-on must be ${LEVELS.join(", ")} or none (got "${text}")`);
  return level;
}

function validationOf(error: unknown): { validation?: readonly ValidationCheck[] } {
  return error instanceof PushValidationError ? { validation: error.checks } : {};
}

const KIND_LABELS = {
  groundwork: "Groundwork's platform schema is installed",
  bare: "a bare PostgreSQL: the platform schema is installed first, in the same transaction",
  supabase: "a Supabase project: its auth and storage schemas are left as Supabase manages them",
} as const;

/** The plan, printed before anything changes. */
export function planLines(plan: PushPlan, target: string, dryRun: boolean): string[] {
  const lines = [`Plan for ${target}${dryRun ? " (dry run: everything is rolled back)" : ""}:`];
  lines.push(`  target: ${KIND_LABELS[plan.target.kind]}`);
  if (plan.target.platformFiles.length > 0) {
    lines.push(
      `  platform schema: ${plan.target.platformFiles.length} file(s) to install (${plan.target.platformFiles.join(", ")})`,
    );
  }
  if (plan.target.platformSkipped.length > 0) {
    lines.push(`  platform schema left to Supabase: ${plan.target.platformSkipped.join(", ")}`);
  }
  lines.push(`  applied: ${plan.appliedCount} migration(s); pending: ${plan.pending.length}`);
  for (const migration of plan.pending) {
    const how = migration.transactional
      ? "in the transaction"
      : "NO TRANSACTION: runs after the commit, one statement at a time; not rolled back or validated with the rest";
    lines.push(`    ${migration.fileName}  ${migration.statements} statement(s), ${how}`);
  }
  lines.push(`  drift: ${plan.drift.length === 0 ? "none" : plan.drift.join("; ")}`);
  if (plan.migrationLint.length === 0) {
    lines.push(`  migration lint: ${plan.pending.length === 0 ? "nothing to lint" : "no findings"}`);
  } else {
    lines.push(
      `  migration lint: ${plan.migrationLint.length} finding(s) (advisory; groundwork guard enforces them):`,
    );
    for (const finding of plan.migrationLint) {
      lines.push(
        `    ${finding.file}${finding.line === null ? "" : `:${finding.line}`} ${finding.rule}: ${finding.message}`,
      );
    }
  }
  return lines;
}

function checkLines(checks: readonly ValidationCheck[]): string[] {
  const mark = { passed: "ok  ", failed: "FAIL", skipped: "skip" } as const;
  return checks.flatMap((check) => [
    `  ${mark[check.status]} ${check.summary}`,
    ...check.details.map((detail) => `         ${detail}`),
  ]);
}

function outcomeLine(result: PushResult): string {
  const count = result.applied.length + result.appliedWithoutTransaction.length;
  if (result.dryRun) return `rehearsed ${count} migration(s), rolled back`;
  return result.committed ? `applied ${count} migration(s)` : "up to date";
}

function resultLines(result: PushResult): string[] {
  const lines = ["Validation:", ...checkLines(result.validation)];
  const count = result.applied.length + result.appliedWithoutTransaction.length;
  const platform =
    result.platformInstalled.length > 0 ? ` and ${result.platformInstalled.length} platform file(s)` : "";
  if (result.dryRun) {
    lines.push(
      `Rehearsed ${count} migration(s)${platform} and validated them in ${result.durationMs} ms, then rolled back: the target is unchanged.`,
    );
  } else if (result.committed) {
    lines.push(`Pushed ${count} migration(s)${platform} in ${result.durationMs} ms.`);
    for (const file of result.applied) lines.push(`  applied ${file}`);
    for (const file of result.appliedWithoutTransaction) lines.push(`  applied ${file} (no transaction)`);
  } else {
    lines.push(`Nothing to push: the target is up to date (${result.durationMs} ms).`);
  }
  const steps = Object.entries(result.timings).map(([step, ms]) => `${step} ${ms}`);
  lines.push(`Time: ${result.durationMs} ms (${steps.join(", ")} ms)`);
  if (result.backupFile) {
    lines.push(`Backup: ${path.relative(process.cwd(), result.backupFile) || result.backupFile}`);
  } else if (result.committed) {
    lines.push("Backup: none (--no-backup)");
  }
  return lines;
}
