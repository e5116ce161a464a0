import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  type MatrixResult,
  renderJunit,
  renderMatrix,
  runRlsMatrix,
  summaryLine,
} from "../../ops/rls-matrix/index.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { note, print, printJson } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const testHelp = `Tests of the project against its database.

Usage:
  groundwork test db [FILE...]    run the pgTAP tests in supabase/tests/ (test db --help)
  groundwork test rls [options]   prove the row-level security access matrix (test rls --help)`;

export const testRlsHelp = `Proves who can do what in which tenant (docs/cli/test-rls.md).

For every table protected with groundwork.protect() (and every table of --matrix FILE), every
role x select/insert/update/delete (plus moving a row to another tenant and handing it to
another owner) x its own row / a colleague's row / another tenant's row, and anon: creates
tenants, users, memberships and rows, runs each cell as the data API runs a request (role and
the full token claims, through the project's access token hook), and compares the outcome with
the declared rights. Everything happens in one transaction that is rolled back, so it is safe
against a shared or remote database.

Usage:
  groundwork test rls [--matrix FILE] [--table NAME]... [--json] [--junit FILE] [--db-url URL | --target NAME]

Options:
  --matrix FILE   a JSON matrix for tables with hand-written policies; its tables replace their
                  declarations
  --table NAME    test only this table (schema.table; repeatable)
  --json          print every cell as JSON
  --junit FILE    also write the cells as JUnit XML to FILE, for CI
  --db-url URL    the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME   a database named in groundwork.toml [targets.NAME]
  --workdir DIR   the project folder (default: the current folder)

Exit codes: 0 every cell passed, 1 a cell failed or the matrix could not run, 2 usage error.`;

/** `groundwork test <subcommand>`. */
export async function testCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    print(testHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub === "db") return (await import("./test-db.js")).testDbCommand(rest);
  if (sub !== "rls") throw new UsageError(`unknown subcommand "test ${sub}" (expected db or rls)`);
  return testRlsCommand(rest);
}

async function testRlsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    matrix: { type: "string" },
    table: { type: "string", multiple: true },
    json: { type: "boolean" },
    junit: { type: "string" },
    "db-url": { type: "string" },
    target: { type: "string" },
  });
  if (values.help) {
    print(testRlsHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const matrixFile = values.matrix === undefined ? undefined : path.resolve(values.matrix);
  const result: MatrixResult = await withDatabaseUrl(config, dbUrl, (url) =>
    withProgress("Proving the access matrix", () =>
      runRlsMatrix(url, { config, matrixFile, tables: values.table }),
    ),
  );
  if (values.junit !== undefined) writeFileSync(values.junit, renderJunit(result));
  const failed = result.cells.filter((cell) => !cell.pass).length;
  if (values.json) {
    printJson({
      summary: {
        cells: result.cells.length,
        passed: result.cells.length - failed,
        failed,
        durationMs: result.durationMs,
      },
      roles: result.roles,
      tables: result.tables,
      warnings: result.warnings,
      cells: result.cells,
    });
  } else {
    for (const line of renderMatrix(result)) print(line);
  }
  if (values.junit !== undefined && values.json) note(summaryLine(result));
  return failed === 0 ? 0 : 1;
}
