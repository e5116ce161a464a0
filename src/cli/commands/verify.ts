import { logOperation } from "../../ops/operations-log.js";
import { verifyDatabases } from "../../ops/verify/verify.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { formatTable, print, printJson } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const verifyHelp = `Compares per-table row counts and content checksums, local vs a target (docs/cli/verify.md).

Usage:
  groundwork verify (--target NAME | --db-url URL) [--local-url URL] [--all] [--json]

Options:
  --target NAME     the database named in groundwork.toml [targets.NAME]
  --db-url URL      the target database by URL
  --local-url URL   the local side (default: DATABASE_URL, the running stack, or the embedded cluster)
  --all             compare each database's own state too (audit log, sessions, ...; after a restore)
  --json            print the comparison as JSON
  --workdir DIR     the project folder (default: the current folder)

Exit codes: 0 every table equal, 1 a mismatch, 2 usage error.`;

/** `groundwork verify`. */
export async function verifyCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    target: { type: "string" },
    "db-url": { type: "string" },
    "local-url": { type: "string" },
    json: { type: "boolean" },
    all: { type: "boolean" },
  });
  if (values.help) {
    print(verifyHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const targetUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  if (targetUrl === undefined) throw new UsageError("verify needs --target NAME or --db-url URL");
  const result = await withDatabaseUrl(config, values["local-url"], (localUrl) =>
    withProgress("Checksumming both databases", () =>
      verifyDatabases(localUrl, targetUrl, { all: values.all === true }),
    ),
  );
  const target = values.target ?? targetUrl;
  const mismatches = result.tables.filter((t) => !t.equal).length;
  logOperation(config.stateDir, {
    what: "verify",
    target,
    outcome: result.equal ? "ok" : "failed",
    detail: `${mismatches} table(s) differ`,
  });
  if (values.json) {
    printJson({ equal: result.equal, tables: result.tables, skipped: result.skipped });
    return result.equal ? 0 : 1;
  }
  const rows = result.tables.map((t) => [
    t.table,
    t.local ? String(t.local.rows) : "missing",
    t.target ? String(t.target.rows) : "missing",
    t.local ? t.local.checksum.slice(0, 12) : "-",
    t.target ? t.target.checksum.slice(0, 12) : "-",
    t.equal ? "ok" : "DIFFERS",
  ]);
  for (const line of formatTable(
    ["table", "local rows", "target rows", "local sum", "target sum", ""],
    rows,
  )) {
    print(line);
  }
  if (result.skipped.length > 0) {
    print(`Not compared, each database's own state (--all compares them): ${result.skipped.join(", ")}.`);
  }
  print(
    result.equal
      ? `All ${result.tables.length} table(s) are equal.`
      : `${mismatches} of ${result.tables.length} table(s) differ.`,
  );
  return result.equal ? 0 : 1;
}
