import type * as LibPgQuery from "libpg-query";
import { codePointIndex, Utf8Offsets } from "./text-offsets.js";

/** One top-level statement of a SQL file, located in the file for error messages. */
export interface Statement {
  /** The statement text, without leading whitespace and comments or the trailing `;`. */
  readonly sql: string;
  /** Offset of {@link sql} in the file, as a string index (UTF-16 code units). */
  readonly offset: number;
  /** 1-based line of the statement's first character. */
  readonly line: number;
  /** The parse node's name, e.g. `CreateStmt`, `IndexStmt`, `TransactionStmt`. */
  readonly kind: string;
  /** Why it cannot run inside a transaction block, or null. */
  readonly nonTransactional: string | null;
  /** An explicit BEGIN/COMMIT/ROLLBACK written in the file. */
  readonly transactionControl: string | null;
}

/** A file PostgreSQL's own parser rejects, with the position it reports. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = "SqlSyntaxError";
  }
}

let loaded: Promise<void> | null = null;
let parser: typeof LibPgQuery | null = null;

/** The parser is WebAssembly; it is imported and loaded once, on first use. */
export function loadParser(): Promise<void> {
  loaded ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  return loaded;
}

type ParseNode = Record<string, Record<string, unknown>>;
interface RawStatement {
  stmt: ParseNode;
  stmt_location?: number;
  stmt_len?: number;
}

/**
 * Splits SQL into top-level statements with PostgreSQL's own parser (libpg-query), so dollar
 * quotes, `BEGIN ATOMIC` bodies and comments are handled exactly as the server handles them.
 * Call {@link loadParser} once before.
 */
export function splitStatements(sql: string): Statement[] {
  let parsed: { stmts?: RawStatement[] };
  try {
    if (!parser) throw new Error("splitStatements: call loadParser() first");
    parsed = parser.parseSync(sql) as { stmts?: RawStatement[] };
  } catch (error) {
    // The parser's cursor counts code points from 0.
    const cursor = Number(
      (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0,
    );
    const { line, column } = lineAndColumn(sql, codePointIndex(sql, cursor));
    throw new SqlSyntaxError((error as Error).message, line, column);
  }
  const statements: Statement[] = [];
  // Locations and lengths are UTF-8 byte counts; a length of 0 means "to the end of the text".
  const offsets = new Utf8Offsets(sql);
  for (const raw of parsed.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const start = offsets.indexOf(startByte);
    const end =
      raw.stmt_len === undefined || raw.stmt_len === 0
        ? sql.length
        : offsets.indexOf(startByte + raw.stmt_len);
    const text = sql.slice(start, end);
    const lead = leadingTrivia(text);
    const body = text.slice(lead).replace(/;\s*$/, "").trimEnd();
    if (body === "") continue;
    const kind = Object.keys(raw.stmt)[0] ?? "Unknown";
    const node = raw.stmt[kind] ?? {};
    statements.push({
      sql: body,
      offset: start + lead,
      line: lineAndColumn(sql, start + lead).line,
      kind,
      nonTransactional: nonTransactionalReason(kind, node),
      transactionControl: kind === "TransactionStmt" ? String(node.kind ?? "") : null,
    });
  }
  return statements;
}

/** Length of the whitespace and comments before a statement's first token. */
function leadingTrivia(text: string): number {
  let index = 0;
  for (;;) {
    while (index < text.length && /\s/.test(text[index] as string)) index++;
    if (text.startsWith("--", index)) {
      const newline = text.indexOf("\n", index);
      index = newline === -1 ? text.length : newline + 1;
    } else if (text.startsWith("/*", index)) {
      let depth = 1;
      index += 2;
      while (index < text.length && depth > 0) {
        if (text.startsWith("/*", index)) {
          depth++;
          index += 2;
        } else if (text.startsWith("*/", index)) {
          depth--;
          index += 2;
        } else index++;
      }
    } else return index;
  }
}

/**
 * 1-based line and column of a string index. The column counts characters (code points), as
 * editors and PostgreSQL do, so an emoji earlier on the line counts once.
 */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  const column = [...before.slice(before.lastIndexOf("\n") + 1)].length + 1;
  return { line, column };
}

function nonTransactionalReason(kind: string, node: Record<string, unknown>): string | null {
  switch (kind) {
    case "IndexStmt":
      return node.concurrent ? "CREATE INDEX CONCURRENTLY" : null;
    case "DropStmt":
      return node.concurrent ? "DROP INDEX CONCURRENTLY" : null;
    case "ReindexStmt": {
      const params = (node.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
      return params.some((p) => p.DefElem?.defname === "concurrently") ? "REINDEX CONCURRENTLY" : null;
    }
    case "VacuumStmt":
      return node.is_vacuumcmd === true ? "VACUUM" : null;
    case "CreatedbStmt":
      return "CREATE DATABASE";
    case "DropdbStmt":
      return "DROP DATABASE";
    case "AlterSystemStmt":
      return "ALTER SYSTEM";
    case "CreateTableSpaceStmt":
      return "CREATE TABLESPACE";
    case "DropTableSpaceStmt":
      return "DROP TABLESPACE";
    case "AlterSubscriptionStmt":
    case "CreateSubscriptionStmt":
      return node.enabled === false ? null : "CREATE/ALTER SUBSCRIPTION";
    default:
      return null;
  }
}
