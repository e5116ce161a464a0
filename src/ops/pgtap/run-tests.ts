import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { useProjectSearchPath } from "../../db/search-path.js";
import { loadParser, splitStatements } from "../../migrate/split.js";

/** One test file's run: the TAP it printed and what the TAP says. */
export interface TapFileResult {
  /** The file as printed (relative to the project). */
  readonly file: string;
  readonly lines: readonly string[];
  readonly planned: number | null;
  readonly passed: number;
  readonly failed: number;
  /** The error that stopped the file, as psql with ON_ERROR_STOP stops. */
  readonly error: string | null;
  readonly ok: boolean;
}

/** The test files of a folder, recursively, in name order: `*.sql` and `*.pg`, as pg_prove takes them. */
export function findTestFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) files.push(...findTestFiles(file));
    else if (name.endsWith(".sql") || name.endsWith(".pg")) files.push(file);
  }
  return files;
}

/**
 * Loads pgTAP into the database (in `extensions`, as the Supabase CLI does) when it is not there,
 * runs `fn`, and drops it again if it was loaded here. Throws when the server has no pgTAP files.
 */
export async function withPgtap<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const present = await client.query("select 1 from pg_extension where extname = 'pgtap'");
    if (present.rowCount === 0) {
      const schema = await client.query("select 1 from pg_namespace where nspname = 'extensions'");
      await client.query(`create extension pgtap${schema.rowCount ? " with schema extensions" : ""}`);
    }
    try {
      return await fn();
    } finally {
      if (present.rowCount === 0) await client.query("drop extension if exists pgtap");
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs one file on its own connection, as pg_prove runs each file in its own psql: statement by
 * statement, every value of a one-column result printed as TAP (pgTAP's functions return their
 * TAP lines), stopping at the first error. psql's backslash commands (`\set`, `\pset`) are
 * skipped: they only shape psql's own output.
 */
export async function runTapFile(url: string, file: string, display: string): Promise<TapFileResult> {
  await loadParser();
  const text = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => (line.trimStart().startsWith("\\") ? "" : line))
    .join("\n");
  const lines: string[] = [];
  let error: string | null = null;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await useProjectSearchPath(client);
    for (const statement of splitStatements(text)) {
      const result = await client.query({ text: statement.sql, rowMode: "array" });
      for (const part of Array.isArray(result) ? result : [result]) {
        if (part.fields?.length !== 1) continue;
        for (const row of part.rows as unknown[][]) {
          if (row[0] !== null && row[0] !== undefined) lines.push(...String(row[0]).split("\n"));
        }
      }
    }
  } catch (caught) {
    error = `${display}: ${(caught as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  return { file: display, lines, error, ...judge(lines, error) };
}

/** What the TAP says: the plan, the passes and failures (a `# TODO` failure does not count), and the verdict. */
function judge(
  lines: readonly string[],
  error: string | null,
): Pick<TapFileResult, "planned" | "passed" | "failed" | "ok"> {
  let planned: number | null = null;
  let passed = 0;
  let failed = 0;
  for (const line of lines) {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) planned = Number(plan[1]);
    else if (/^ok \d+/.test(line)) passed++;
    else if (/^not ok \d+/.test(line)) {
      if (/#\s*TODO/i.test(line)) passed++;
      else failed++;
    }
  }
  const ok = error === null && failed === 0 && planned !== null && passed === planned;
  return { planned, passed, failed, ok };
}
