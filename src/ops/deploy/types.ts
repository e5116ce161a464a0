/**
 * Glossary
 * - target: the database a push changes (`--target NAME`, `--db-url URL`, or the local one).
 * - target kind: `groundwork` (Groundwork's platform schema is installed), `bare` (a plain
 *   PostgreSQL without it: the push installs it first), `supabase` (a Supabase project's database:
 *   `auth` and `storage` exist and Groundwork did not create them, so the push leaves them alone).
 * - plan: what a push would do, read from the target and the files before anything changes.
 * - transactional part: the platform schema and every pending migration, applied in ONE
 *   transaction with their history rows, validated, then committed or rolled back together.
 * - no-transaction migration: a file whose first line is `-- groundwork:no-transaction`
 *   (CREATE INDEX CONCURRENTLY...); runs after the transactional part commits, only with
 *   `--allow-no-transaction`.
 * - validation: the checks run inside the transaction before it commits (history, db lint,
 *   test rls); one failure rolls everything back.
 * - rehearsal: `--dry-run`: everything up to and including validation, then always rolled back.
 */
import type { Finding as MigrationLintFinding } from "../guard/types.js";

export type TargetKind = "groundwork" | "bare" | "supabase";

/** A pending migration as the plan shows it. */
export interface PlannedMigration {
  readonly version: string;
  readonly fileName: string;
  readonly statements: number;
  /** False for a `-- groundwork:no-transaction` file. */
  readonly transactional: boolean;
}

export interface PushPlan {
  readonly target: {
    readonly kind: TargetKind;
    /** Platform schema files the push installs (new or changed), in order. */
    readonly platformFiles: readonly string[];
    /** Platform files left out because the Supabase project provides that part itself. */
    readonly platformSkipped: readonly string[];
  };
  /** Migrations already in the target's history. */
  readonly appliedCount: number;
  /** Migrations to apply, in version order (the transactional ones and then the others). */
  readonly pending: readonly PlannedMigration[];
  /** Applied migrations whose file changed, or that have no file: the push refuses. */
  readonly drift: readonly string[];
  /** Why the push refuses to start (empty: it may go ahead). Nothing has been changed. */
  readonly refusals: readonly string[];
  /** The migration linter's findings on the pending files (advisory: `groundwork guard` gates them). */
  readonly migrationLint: readonly MigrationLintFinding[];
}

export type ValidationName = "history" | "lint" | "rls";

/** One post-deploy check, run inside the push's transaction. */
export interface ValidationCheck {
  readonly name: ValidationName;
  readonly status: "passed" | "failed" | "skipped";
  /** One line: what was checked and the outcome. */
  readonly summary: string;
  /** For a failure: one line per finding or failing cell. */
  readonly details: readonly string[];
}

export type PushStep =
  | "backup"
  | "platform"
  | "migrations"
  | "validation"
  | "commit"
  | "rollback"
  | "no-transaction";

export interface PushResult {
  readonly plan: PushPlan;
  readonly dryRun: boolean;
  /** True when the transaction committed (false for a rehearsal, or when there was nothing to do). */
  readonly committed: boolean;
  /** Platform files installed (or rehearsed), as `NNNN_name`. */
  readonly platformInstalled: readonly string[];
  /** Migration file names applied in the transaction (or rehearsed). */
  readonly applied: readonly string[];
  /** No-transaction migration file names applied after the commit. */
  readonly appliedWithoutTransaction: readonly string[];
  readonly validation: readonly ValidationCheck[];
  /** The backup written before anything changed, or null (rehearsal, nothing to do, --no-backup). */
  readonly backupFile: string | null;
  readonly durationMs: number;
  /** Milliseconds per step. */
  readonly timings: Readonly<Partial<Record<PushStep | "plan", number>>>;
}

/** The plan forbids the push (drift, missing files, SQL that cannot run...): nothing was changed. */
export class PushRefusedError extends Error {
  override name = "PushRefusedError";
  constructor(readonly plan: PushPlan) {
    super(`db push refused, nothing was changed:\n${plan.refusals.map((r) => `- ${r}`).join("\n")}`);
  }
}

/** A post-deploy check failed inside the transaction: everything was rolled back. */
export class PushValidationError extends Error {
  override name = "PushValidationError";
  constructor(
    readonly checks: readonly ValidationCheck[],
    readonly dryRun: boolean,
  ) {
    const failed = checks.filter((check) => check.status === "failed");
    super(
      `post-deploy validation failed (${failed.map((check) => check.summary).join("; ")}); ` +
        "everything was rolled back: the target is as it was before the push",
    );
  }
}

/** A no-transaction migration failed after the transactional part had committed. */
export class PushAfterCommitError extends Error {
  override name = "PushAfterCommitError";
  constructor(
    cause: Error,
    readonly committed: readonly string[],
    readonly backupFile: string | null,
  ) {
    super(
      `${cause.message}\nThe transactional part was already committed (${committed.length} migration(s)); ` +
        `fix the file and run db push again to apply the rest${backupFile ? `, or restore ${backupFile}` : ""}.`,
    );
  }
}
