import type pg from "pg";
import type { Config } from "../../config/index.js";
import type { MigrationFile } from "../../migrate/files.js";
import { readHistory } from "../../migrate/history.js";
import { planMigrations } from "../../migrate/plan.js";
import { runLintsOnClient } from "../advisor/run.js";
import { atLeast, type Level } from "../advisor/types.js";
import { hasTenancyKit, readDeclarations } from "../rls-matrix/declarations.js";
import { runRlsMatrixOnClient } from "../rls-matrix/run.js";
import type { Cell } from "../rls-matrix/types.js";
import type { ValidationCheck, ValidationName } from "./types.js";

export interface ValidationOptions {
  readonly config: Config;
  readonly files: readonly MigrationFile[];
  /** Versions still pending on purpose (no-transaction files, run after the commit). */
  readonly pendingAfterCommit: ReadonlySet<string>;
  /** The least severe `db lint` level that fails the push; null: findings never fail it. */
  readonly failOn: Level | null;
  /** Extra `db lint` exclusions, on top of `[lint] exclude`. */
  readonly exclude?: readonly string[];
}

/**
 * The post-deploy checks, run on the push's open transaction before it commits: the migration
 * history matches the files, `db lint` finds nothing at `failOn` or above, and `test rls` passes
 * when the tenancy kit is installed and tables are declared. Each check runs in a savepoint and
 * leaves the transaction as it found it; the caller rolls back when one failed.
 */
export async function validateInTransaction(
  client: pg.ClientBase,
  options: ValidationOptions,
): Promise<ValidationCheck[]> {
  return [
    await guarded("history", () => checkHistory(client, options)),
    await guarded("lint", () => checkLint(client, options)),
    await guarded("rls", () => checkRls(client, options.config)),
  ];
}

/** A check that could not run fails the push; it does not abort the others' report. */
async function guarded(
  name: ValidationName,
  check: () => Promise<ValidationCheck>,
): Promise<ValidationCheck> {
  try {
    return await check();
  } catch (error) {
    return { name, status: "failed", summary: `${name}: could not run`, details: [(error as Error).message] };
  }
}

async function checkHistory(client: pg.ClientBase, options: ValidationOptions): Promise<ValidationCheck> {
  const statuses = planMigrations(options.files, await readHistory(client));
  const wrong = statuses.filter(
    (s) =>
      !(s.state === "applied" || s.state === "unverified") &&
      !(s.state === "pending" && options.pendingAfterCommit.has(s.version)),
  );
  const applied = statuses.length - wrong.length - options.pendingAfterCommit.size;
  if (wrong.length === 0) {
    return {
      name: "history",
      status: "passed",
      summary: `migration history matches the ${options.files.length} file(s) (${applied} applied)`,
      details: [],
    };
  }
  return {
    name: "history",
    status: "failed",
    summary: `migration history does not match the files (${wrong.length} problem(s))`,
    details: wrong.map((s) => `${s.version}_${s.name}: ${s.state}`),
  };
}

async function checkLint(client: pg.ClientBase, options: ValidationOptions): Promise<ValidationCheck> {
  const { config, failOn } = options;
  const report = await runLintsOnClient(client, config, {
    exclude: [...config.lint.exclude, ...(options.exclude ?? [])],
  });
  const failing = report.findings.filter((f) => failOn !== null && atLeast(f.level, failOn));
  const counts = ["ERROR", "WARN", "INFO"].map(
    (level) => `${report.findings.filter((f) => f.level === level).length} ${level}`,
  );
  const passed = failing.length === 0 && report.failures.length === 0;
  return {
    name: "lint",
    status: passed ? "passed" : "failed",
    summary:
      `db lint: ${counts.join(", ")} (fail on ${failOn ?? "none"})` +
      (report.failures.length > 0 ? `, ${report.failures.length} lint(s) could not run` : ""),
    details: [
      ...failing.map((f) => `${f.level} ${f.lint}: ${f.object}: ${f.detail}`),
      ...report.failures.map((f) => `lint ${f.lint} could not run: ${f.message}`),
    ],
  };
}

async function checkRls(client: pg.ClientBase, config: Config): Promise<ValidationCheck> {
  if (!(await hasTenancyKit(client))) {
    return { name: "rls", status: "skipped", summary: "test rls: no tenancy kit on the target", details: [] };
  }
  const { specs } = await readDeclarations(client);
  if (specs.length === 0) {
    return {
      name: "rls",
      status: "skipped",
      summary: "test rls: no table is declared with groundwork.protect()",
      details: [],
    };
  }
  const result = await runRlsMatrixOnClient(client, { config });
  const failed = result.cells.filter((cell) => !cell.pass);
  return {
    name: "rls",
    status: failed.length === 0 ? "passed" : "failed",
    summary: `test rls: ${result.cells.length - failed.length}/${result.cells.length} cell(s) passed on ${result.tables.length} table(s)`,
    details: failed.map(describeCell),
  };
}

function describeCell(cell: Cell): string {
  const expected = cell.expected.kind === "rows" ? `${cell.expected.count} rows` : cell.expected.kind;
  const row = cell.kind === null ? "" : ` ${cell.kind} row`;
  return (
    `${cell.table}: ${cell.role} ${cell.probe}${row}: expected ${expected}, got ${cell.observed.how}` +
    (cell.problem ? ` (${cell.problem})` : "")
  );
}
