import path from "node:path";
import type * as LibPgQuery from "libpg-query";
import { compareVersions } from "../../migrate/files.js";
import { loadParser, SqlSyntaxError, type Statement, splitStatements } from "../../migrate/split.js";
import {
  LOCK_TIMEOUT_RULE,
  MIGRATION_RULES,
  type RuleInput,
  strongLockTarget,
  tableName,
} from "./migration-rules.js";
import { readTextFile } from "./text-files.js";
import type { Finding, GuardCheck, GuardContext } from "./types.js";

const MIGRATION_NAME = /^(\d+)_(.+)\.sql$/;

/** Migration file names, their order against the base ref, and the lint rules on new or changed files. */
export const migrationsCheck: GuardCheck = {
  id: "migrations",
  what: "Migration files are named <version>_<name>.sql with unique versions, a new file is newer than every migration on the base ref, and new or changed migrations pass the lint rules below.",
  why: "The Supabase CLI silently skips a misnamed file, and a migration older than one already deployed is never applied to databases that have the newer one.",
  fix: "Rename the file with groundwork migration new NAME (a fresh UTC timestamp) and move its SQL there.",
  run: checkMigrations,
};

function checkMigrations(context: GuardContext): Promise<Finding[]> | Finding[] {
  const dir = context.migrationsDir;
  const files = context.files.filter((file) => path.posix.dirname(file) === dir && file.endsWith(".sql"));
  const findings = [...checkNames(context, files)];
  const toLint = files.filter(
    (file) =>
      MIGRATION_NAME.test(path.posix.basename(file)) && (!context.baseRef || context.changed.includes(file)),
  );
  if (toLint.length === 0) return findings;
  return loadParser().then(async () => {
    const parser = await import("libpg-query");
    for (const file of toLint) findings.push(...lintMigration(context, file, parser));
    return findings;
  });
}

function checkNames(context: GuardContext, files: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const versions = new Map<string, string>();
  const baseVersions = context.baseRef
    ? context
        .listAtBase(context.migrationsDir)
        .map((name) => MIGRATION_NAME.exec(name)?.[1])
        .filter((version): version is string => version !== undefined)
    : [];
  const newestOnBase = baseVersions.sort(compareVersions).at(-1);
  for (const file of files) {
    const name = path.posix.basename(file);
    const match = MIGRATION_NAME.exec(name);
    if (!match) {
      findings.push({
        rule: "migration-name",
        level: "ERROR",
        file,
        line: null,
        message: `${name} is not named <version>_<name>.sql; the Supabase CLI and groundwork skip it.`,
        fix: "Rename it, e.g. 20250101120000_create_contacts.sql (groundwork migration new NAME makes one).",
      });
      continue;
    }
    const version = match[1] as string;
    const earlier = versions.get(version);
    if (earlier) {
      findings.push({
        rule: "migration-duplicate-version",
        level: "ERROR",
        file,
        line: null,
        message: `${name} has the same version ${version} as ${path.posix.basename(earlier)}.`,
        fix: "Give one of them a fresh version with groundwork migration new NAME.",
      });
    }
    versions.set(version, file);
    const isNew = context.baseRef !== null && !baseVersions.includes(version);
    if (isNew && newestOnBase && compareVersions(version, newestOnBase) < 0) {
      findings.push({
        rule: "migration-order",
        level: "ERROR",
        file,
        line: null,
        message: `${name} is new but older than ${newestOnBase}, the newest migration on ${context.baseRef}; databases that applied that one never run this.`,
        fix: `Rename it with a version after ${newestOnBase} (groundwork migration new NAME).`,
      });
    }
  }
  return findings;
}

type Node = Record<string, unknown>;

function lintMigration(context: GuardContext, file: string, parser: typeof LibPgQuery): Finding[] {
  const sql = readTextFile(context.root, file);
  if (sql === null) return [];
  let statements: Statement[];
  try {
    statements = splitStatements(sql);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    return [
      {
        rule: "migration-syntax",
        level: "ERROR",
        file,
        line: error.line,
        message: `${file}:${error.line}:${error.column}: ${error.message}`,
        fix: "Correct the SQL; PostgreSQL's own parser rejects it.",
      },
    ];
  }
  const findings: Finding[] = [];
  const newTables = new Set<string>();
  let lockTimeout = false;
  let lockTimeoutReported = false;
  const lines = sql.split("\n");
  for (const statement of statements) {
    const raw = (parser.parseSync(statement.sql) as { stmts?: { stmt: Record<string, Node> }[] }).stmts?.[0]
      ?.stmt;
    if (!raw) continue;
    const node = raw[statement.kind] ?? {};
    const input: RuleInput = { kind: statement.kind, node, newTables };
    const ignored = ignoredRules(lines, statement.line);
    const add = (rule: { id: string; fix: string }, message: string) => {
      if (ignored.has(rule.id)) return;
      findings.push({ rule: rule.id, level: "ERROR", file, line: statement.line, message, fix: rule.fix });
    };
    if (setsLockTimeout(statement.kind, node, statement.sql)) lockTimeout = true;
    for (const rule of MIGRATION_RULES) for (const message of rule.check(input)) add(rule, message);
    const locked = strongLockTarget(input);
    if (locked && !lockTimeout && !lockTimeoutReported && !ignored.has(LOCK_TIMEOUT_RULE.id)) {
      lockTimeoutReported = true;
      add(LOCK_TIMEOUT_RULE, `this statement locks ${locked} and no lock_timeout is set before it`);
    }
    if (statement.kind === "CreateStmt" || statement.kind === "CreateTableAsStmt") {
      const target = statement.kind === "CreateStmt" ? node.relation : (node.into as Node | undefined)?.rel;
      const table = tableName(target);
      if (table) newTables.add(table);
    }
  }
  return findings;
}

function setsLockTimeout(kind: string, node: Node, sql: string): boolean {
  if (kind === "VariableSetStmt") return node.name === "lock_timeout";
  return /set_config\s*\(\s*'lock_timeout'/i.test(sql);
}

/** Rules named in `-- squawk-ignore rule-a, rule-b` (or `-- guard-ignore`) comment lines right above a statement. */
function ignoredRules(lines: readonly string[], statementLine: number): Set<string> {
  const ignored = new Set<string>();
  for (let index = statementLine - 2; index >= 0; index--) {
    const line = (lines[index] ?? "").trim();
    if (!line.startsWith("--")) break;
    const match = /^--\s*(?:squawk|guard)-ignore\s+(.+)$/.exec(line);
    if (match) for (const rule of (match[1] as string).split(",")) ignored.add(rule.trim());
  }
  return ignored;
}
