import type pg from "pg";
import { NO_TRANSACTION_MARKER, runMigrationStatements } from "./apply.js";
import type { MigrationFile } from "./files.js";
import type { Statement } from "./split.js";

/** A migration file with its statements, parsed (and checked) by `parseMigration` before anything runs. */
export interface ParsedMigration {
  readonly file: MigrationFile;
  readonly statements: readonly Statement[];
}

export interface ApplyInTransactionOptions {
  /** The last line of a failure's message: what became of the database (the caller rolls back). */
  readonly outcome: string;
  /** Called before each migration runs. */
  readonly onMigration?: (migration: MigrationFile, index: number, total: number) => void;
}

/**
 * Applies parsed migrations, with their history rows, on a client whose transaction the caller
 * has already opened and will commit or roll back: all of them or none (`db push`). The caller
 * holds the migration lock and has checked the plan (`assertSafeToApply`). A failing statement
 * throws a `SqlFileError` (file:line:col, SQLSTATE) ending with `options.outcome`; the
 * transaction is then aborted and must be rolled back.
 */
export async function applyInOpenTransaction(
  client: pg.ClientBase,
  migrations: readonly ParsedMigration[],
  options: ApplyInTransactionOptions,
): Promise<MigrationFile[]> {
  const marked = migrations.find(({ file }) => NO_TRANSACTION_MARKER.test(file.sql));
  if (marked) {
    throw new Error(
      `${marked.file.fileName} is marked -- groundwork:no-transaction and cannot run inside the transaction`,
    );
  }
  const applied: MigrationFile[] = [];
  for (const [index, { file, statements }] of migrations.entries()) {
    options.onMigration?.(file, index, migrations.length);
    await runMigrationStatements(client, file, statements, () => options.outcome);
    applied.push(file);
  }
  return applied;
}
