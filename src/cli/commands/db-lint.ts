import { runLints } from "../../ops/advisor/run.js";
import { LEVELS, type Level } from "../../ops/advisor/types.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { reportJson, reportLines, reportPasses } from "../lint-report.js";
import { print, printJson } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const dbLintHelp = `Checks the database for security and performance mistakes (docs/cli/db-lint.md).

Usage:
  groundwork db lint [--level LEVEL] [--fail-on LEVEL] [--json] [--exclude ID]... [--db-url URL | --target NAME]

Options:
  --level LEVEL     least severe level shown: INFO (default), WARN or ERROR
  --fail-on LEVEL   exit 1 when a finding is at this level or above: ERROR (default), WARN, INFO or none
  --json            print the findings as JSON
  --exclude ID      leave out a lint or finding (its name or id, * wildcards); adds to [lint] exclude
                    in groundwork.toml
  --db-url URL      the database to check (default: DATABASE_URL, the running stack, or the
                    embedded cluster)
  --target NAME     a database named in groundwork.toml [targets.NAME]
  --workdir DIR     the project folder (default: the current folder)

Exit codes: 0 no finding at --fail-on or above, 1 findings (or a lint that could not run), 2 usage error.`;

/** `groundwork db lint`. */
export async function dbLintCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    level: { type: "string" },
    "fail-on": { type: "string" },
    json: { type: "boolean" },
    exclude: { type: "string", multiple: true },
    "db-url": { type: "string" },
    target: { type: "string" },
  });
  if (values.help) {
    print(dbLintHelp);
    return 0;
  }
  const level = parseLevel("--level", values.level ?? "INFO");
  const failOnText = values["fail-on"] ?? "ERROR";
  const failOn = failOnText.toLowerCase() === "none" ? null : parseLevel("--fail-on", failOnText);
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const report = await withDatabaseUrl(config, dbUrl, (url) =>
    withProgress("Linting the database", () =>
      runLints(url, config, { exclude: [...config.lint.exclude, ...(values.exclude ?? [])] }),
    ),
  );
  const policy = { level, failOn };
  if (values.json) printJson(reportJson(report, policy));
  else for (const line of reportLines(report, policy)) print(line);
  return reportPasses(report, policy) ? 0 : 1;
}

function parseLevel(flag: string, text: string): Level {
  const level = LEVELS.find((candidate) => candidate === text.toUpperCase());
  if (!level) {
    throw new UsageError(
      `${flag} must be ${LEVELS.join(", ")}${flag === "--fail-on" ? " or none" : ""} (got "${text}")`,
    );
  }
  return level;
}
