import { lineAndColumn } from "./split.js";
import { codePointIndex } from "./text-offsets.js";

/** Fields of a PostgreSQL error that matter in a report. */
interface PgErrorFields {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
}

/** Hints for errors whose PostgreSQL wording does not say what to do in a migration. */
const HINTS: Record<string, string> = {
  "55P04":
    "A value added with ALTER TYPE ... ADD VALUE cannot be used in the same transaction. Put the ADD VALUE in its own migration, before the one that uses it.",
  "25001":
    "This statement cannot run inside a transaction block. Put it in its own migration file and mark that file with -- groundwork:no-transaction on its first line.",
};

/**
 * A statement of a SQL file (migration or seed) that failed, located in the file: which file,
 * which line, which statement, and PostgreSQL's error.
 */
export class SqlFileError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number | null;
  readonly statement: string;
  readonly code: string | null;
  readonly detail: string | null;
  readonly hint: string | null;
  readonly postgresMessage: string;

  constructor(options: {
    file: string;
    fileText: string;
    statement: string;
    statementOffset: number;
    error: PgErrorFields;
    outcome: string;
  }) {
    const { error } = options;
    // PostgreSQL's position is 1-based and counts characters (code points) of the statement sent.
    const position = error.position ? Number(error.position) - 1 : null;
    const at = lineAndColumn(
      options.fileText,
      options.statementOffset + codePointIndex(options.statement, position ?? 0),
    );
    const code = error.code ?? null;
    const hint = (code ? HINTS[code] : undefined) ?? error.hint ?? null;
    const lines = [
      `${options.file}:${at.line}${position !== null ? `:${at.column}` : ""}: ${error.message}${code ? ` (SQLSTATE ${code})` : ""}`,
      ...(error.detail ? [`  detail: ${error.detail}`] : []),
      ...(hint ? [`  hint: ${hint}`] : []),
      "  statement:",
      ...excerpt(options.statement).map((line) => `    ${line}`),
      options.outcome,
    ];
    super(lines.join("\n"));
    this.name = "SqlFileError";
    this.file = options.file;
    this.line = at.line;
    this.column = position !== null ? at.column : null;
    this.statement = options.statement;
    this.code = code;
    this.detail = error.detail ?? null;
    this.hint = hint;
    this.postgresMessage = error.message;
  }
}

function excerpt(statement: string): string[] {
  const lines = statement.split("\n");
  return lines.length > 12 ? [...lines.slice(0, 12), `... (${lines.length - 12} more lines)`] : lines;
}

/** True for errors raised by PostgreSQL itself (they carry a SQLSTATE). */
export function isPostgresError(error: unknown): error is PgErrorFields & Error {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}
