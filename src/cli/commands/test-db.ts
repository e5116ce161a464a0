import path from "node:path";
import { postgresBinaries } from "../../db/postgres-binaries.js";
import { findPgtap, installPgtap, PGTAP_MISSING } from "../../ops/pgtap/find-pgtap.js";
import { findTestFiles, runTapFile, type TapFileResult, withPgtap } from "../../ops/pgtap/run-tests.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { print } from "../output.js";
import { loadProjectConfig } from "../project.js";

export const testDbHelp = `Runs the project's pgTAP tests, as supabase test db does (docs/cli/test-db.md).

Every *.sql and *.pg file in supabase/tests/ (or the files given) runs on its own connection, its
TAP printed as it comes, then a summary. pgTAP is loaded into the database for the run (schema
extensions) and dropped after, unless it was there already. For the local database, pgTAP's
files are taken from a system installation (Debian/Ubuntu postgresql-NN-pgtap, Homebrew pgtap,
or GROUNDWORK_PGTAP_DIR) and copied into the embedded PostgreSQL.

Usage:
  groundwork test db [FILE...] [--db-url URL | --target NAME]

Options:
  --db-url URL    the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME   a database named in groundwork.toml [targets.NAME]
  --workdir DIR   the project folder (default: the current folder)

Exit codes: 0 every test passed, 1 a test failed or could not run, 2 usage error.`;

/** `groundwork test db`. */
export async function testDbCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { "db-url": { type: "string" }, target: { type: "string" } },
    { max: Number.POSITIVE_INFINITY },
  );
  if (values.help) {
    print(testDbHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const files =
    positionals.length > 0
      ? positionals.map((file) => path.resolve(file))
      : findTestFiles(path.join(config.projectDir, "supabase", "tests"));
  if (files.length === 0) {
    process.stderr.write("No test files: put pgTAP tests (*.sql) in supabase/tests/.\n");
    return 1;
  }
  if (dbUrl === undefined && !config.db.url) {
    // The local database: pgTAP's files go into the embedded server's extension folder.
    const pgtap = findPgtap();
    if (!pgtap) {
      process.stderr.write(`${PGTAP_MISSING}\n`);
      return 1;
    }
    installPgtap(pgtap, postgresBinaries().extensionDir);
  }
  const results = await withDatabaseUrl(config, dbUrl, (url) =>
    withPgtap(url, async () => {
      const done: TapFileResult[] = [];
      for (const file of files) {
        const display = path.relative(config.projectDir, file) || file;
        const result = await runTapFile(url, file, display);
        print(`# ${display}`);
        for (const line of result.lines) print(line);
        if (result.error) print(`# ${result.error}`);
        done.push(result);
      }
      return done;
    }).catch((error: Error) => {
      if (/could not open extension control file|extension "pgtap" is not available/.test(error.message)) {
        throw new Error(`the database has no pgTAP: ${error.message}\n${PGTAP_MISSING}`);
      }
      throw error;
    }),
  );
  const tests = results.reduce((sum, r) => sum + r.passed + r.failed, 0);
  const failedFiles = results.filter((r) => !r.ok);
  for (const r of failedFiles) {
    const why =
      r.error ?? (r.failed > 0 ? `${r.failed} failed` : `planned ${r.planned ?? "no plan"}, ran ${r.passed}`);
    print(`# Failed: ${r.file} (${why})`);
  }
  print(`Files=${results.length}, Tests=${tests}, Failed=${failedFiles.length}`);
  print(`Result: ${failedFiles.length === 0 ? "PASS" : "FAIL"}`);
  return failedFiles.length === 0 ? 0 : 1;
}
