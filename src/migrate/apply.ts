import path from "node:path";
import type pg from "pg";
import { useProjectSearchPath } from "../db/search-path.js";
import { withTransaction } from "../db/transaction.js";
import type { MigrationFile } from "./files.js";
import { ensureHistoryTable, readHistory, recordMigration } from "./history.js";
import { type MigrationStatus, planMigrations } from "./plan.js";
import { loadParser, SqlSyntaxError, type Statement, splitStatements } from "./split.js";
import { isPostgresError, SqlFileError } from "./sql-file-error.js";

/** First-line marker for a file whose statements must run outside a transaction. */
export const NO_TRANSACTION_MARKER = /^\s*--\s*groundwork:no-transaction\b/;

/** Serialises migration runs across processes and machines ("gw" "migr"). */
const MIGRATION_LOCK_KEY = 0x67_77_6d_69;

/** A reason the runner refuses to start; nothing has been changed. */
export class MigrationPlanError extends Error {
  override name = "MigrationPlanError";
}

export interface ApplyOptions {
  /** Apply pending migrations older than the newest applied one (Supabase CLI: --include-all). */
  readonly includeAll?: boolean;
  /** Called before each migration runs. */
  readonly onMigration?: (migration: MigrationFile, index: number, total: number) => void;
}

/**
 * Applies the pending migrations, each in its own transaction together with its history row, so
 * a failing migration leaves the database exactly as it was before that migration. Holds an
 * advisory lock for the whole run: a second concurrent run fails at once instead of interleaving.
 * Returns the migrations it applied.
 */
export async function applyMigrations(
  client: pg.ClientBase,
  files: readonly MigrationFile[],
  options: ApplyOptions = {},
): Promise<MigrationFile[]> {
  await loadParser();
  await acquireMigrationLock(client);
  try {
    await ensureHistoryTable(client);
    const statuses = planMigrations(files, await readHistory(client));
    assertSafeToApply(statuses, options);
    const pending = statuses.filter((s) => s.state === "pending").map((s) => s.file as MigrationFile);
    const prepared = pending.map((file) => ({ file, statements: parseMigration(file) }));
    const applied: MigrationFile[] = [];
    for (const [index, { file, statements }] of prepared.entries()) {
      options.onMigration?.(file, index, prepared.length);
      await applyMigrationFile(client, file, statements);
      applied.push(file);
    }
    // The data API reloads its schema cache on this (the platform's event trigger sends it too,
    // but only where it could be installed: it needs a superuser).
    if (applied.length > 0) await client.query("notify pgrst, 'reload schema'");
    return applied;
  } finally {
    await releaseMigrationLock(client);
  }
}

/**
 * Takes the session-level migration lock, or fails at once when another run holds it. Release it
 * with {@link releaseMigrationLock}.
 */
export async function acquireMigrationLock(client: pg.ClientBase): Promise<void> {
  const locked = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1) as locked", [
    MIGRATION_LOCK_KEY,
  ]);
  if (!locked.rows[0]?.locked) {
    throw new MigrationPlanError(
      "Another migration run holds the migration lock on this database. Wait for it to finish, then run this again.",
    );
  }
}

/** Releases the lock {@link acquireMigrationLock} took. */
export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
}

/**
 * Refuses a plan with drifted or missing migrations, or (without `includeAll`) pending ones older
 * than the newest applied: each with the error that says what to do.
 */
export function assertSafeToApply(statuses: readonly MigrationStatus[], options: ApplyOptions): void {
  const drifted = statuses.filter((s) => s.state === "drifted");
  if (drifted.length > 0) {
    throw new MigrationPlanError(
      `${drifted.map((s) => `${s.version}_${s.name}.sql`).join(", ")} changed after ${drifted.length === 1 ? "it was" : "they were"} applied, ` +
        "so the database no longer matches the files. Restore the applied content (git checkout) and put the change in a new migration " +
        "(groundwork migration new NAME); locally, groundwork db reset rebuilds the database from the files.",
    );
  }
  const missing = statuses.filter((s) => s.state === "missing");
  if (missing.length > 0) {
    throw new MigrationPlanError(
      `The database has applied migrations that are not in supabase/migrations: ${missing.map((s) => s.version).join(", ")}. ` +
        "Bring those files back (git pull), or run against the database they belong to.",
    );
  }
  const outOfOrder = statuses.filter((s) => s.outOfOrder);
  if (outOfOrder.length > 0 && !options.includeAll) {
    throw new MigrationPlanError(
      `${outOfOrder.map((s) => `${s.version}_${s.name}.sql`).join(", ")} ${outOfOrder.length === 1 ? "is" : "are"} older than the newest applied migration. ` +
        "Rename it with a newer timestamp, or pass --include-all to apply it anyway.",
    );
  }
}

/** Parses a file, refusing statements that cannot run in its transaction before anything runs. */
export function parseMigration(file: MigrationFile): Statement[] {
  let statements: Statement[];
  try {
    statements = splitStatements(file.sql);
  } catch (error) {
    if (error instanceof SqlSyntaxError) {
      throw new SqlFileError({
        file: displayPath(file),
        fileText: file.sql,
        // The failing line as the statement; the column counts its characters.
        statement: file.sql.split("\n")[error.line - 1] ?? "",
        statementOffset: lineStart(file.sql, error.line),
        error: { code: "42601", message: error.message, position: String(error.column) },
        outcome: "Nothing was applied: the file does not parse.",
      });
    }
    throw error;
  }
  if (NO_TRANSACTION_MARKER.test(file.sql)) return statements;
  const blocked = statements.find((s) => s.nonTransactional !== null);
  if (blocked) {
    throw new MigrationPlanError(
      `${displayPath(file)}:${blocked.line}: ${blocked.nonTransactional} cannot run inside a transaction, and each migration runs in one. ` +
        "Move it to a migration file of its own whose first line is -- groundwork:no-transaction; that file's statements then run one by one, " +
        "each committed on its own. Nothing was applied.",
    );
  }
  const rollback = statements.find((s) => s.transactionControl === "TRANS_STMT_ROLLBACK");
  if (rollback) {
    throw new MigrationPlanError(
      `${displayPath(file)}:${rollback.line}: a migration cannot end with ROLLBACK; remove it. Nothing was applied.`,
    );
  }
  return statements;
}

/**
 * Applies one parsed file: in its own transaction with its history row, or, for a file marked
 * {@link NO_TRANSACTION_MARKER}, statement by statement, each committed on its own.
 */
export async function applyMigrationFile(
  client: pg.ClientBase,
  file: MigrationFile,
  statements: readonly Statement[],
): Promise<void> {
  if (NO_TRANSACTION_MARKER.test(file.sql)) {
    await runMigrationStatements(
      client,
      file,
      statements,
      (done) =>
        `This file runs without a transaction: its first ${done} statement(s) stay applied, and it is not recorded as applied.`,
    );
    return;
  }
  await withTransaction(client, {}, (tx) =>
    runMigrationStatements(
      tx,
      file,
      statements,
      () => "The migration was rolled back: the database is as it was before it.",
    ),
  );
}

/**
 * Runs a parsed file's statements and records it in the history, in whatever transaction the
 * caller has open (none, one per file, or one for a whole push). A PostgreSQL error becomes a
 * {@link SqlFileError} located in the file, ending with `outcome(statementsDone)`.
 */
export async function runMigrationStatements(
  client: pg.ClientBase,
  file: MigrationFile,
  statements: readonly Statement[],
  outcome: (statementsDone: number) => string,
): Promise<void> {
  // BEGIN/COMMIT written in the file are dropped: the file already runs in a transaction.
  const body = statements.filter((s) => s.transactionControl === null);
  // Each file starts from the project's search_path, whatever the connection or an earlier file set.
  await useProjectSearchPath(client);
  let done = 0;
  try {
    for (const statement of body) {
      await client.query(statement.sql);
      done++;
    }
    await recordMigration(
      client,
      file,
      body.map((s) => s.sql),
    );
  } catch (error) {
    const statement = body[done];
    if (isPostgresError(error) && statement) {
      throw new SqlFileError({
        file: displayPath(file),
        fileText: file.sql,
        statement: statement.sql,
        statementOffset: statement.offset,
        error,
        outcome: outcome(done),
      });
    }
    throw error;
  }
}

/** The file's path as messages show it (`supabase/migrations/NAME.sql`). */
export function displayPath(file: MigrationFile): string {
  return path.join("supabase", "migrations", file.fileName);
}

/** The string index where 1-based `line` starts. */
function lineStart(text: string, line: number): number {
  return text
    .split("\n")
    .slice(0, line - 1)
    .reduce((sum, l) => sum + l.length + 1, 0);
}
