import type { Config } from "../../config/index.js";
import { runLints } from "../../ops/advisor/run.js";
import { LEVELS, type Level } from "../../ops/advisor/types.js";
import { parseCommandArgs } from "../args.js";
import { withDatabaseUrl } from "../database-target.js";
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
  if (values["db-url"] !== undefined && values.target !== undefined) {
    throw new UsageError("--db-url and --target name two databases: give one");
  }
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = values.target !== undefined ? targetUrl(config, values.target) : values["db-url"];
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

/** The URL of `[targets.NAME]`, read from the environment variable it names. */
function targetUrl(config: Config, name: string): string {
  const target = config.targets[name];
  if (!target) {
    const known = Object.keys(config.targets);
    throw new UsageError(
      `unknown target "${name}" (groundwork.toml defines ${known.length > 0 ? known.join(", ") : "no [targets.NAME]"})`,
    );
  }
  const url = process.env[target.urlEnv];
  if (!url) throw new UsageError(`target "${name}" reads its URL from ${target.urlEnv}, which is not set`);
  return url;
}
