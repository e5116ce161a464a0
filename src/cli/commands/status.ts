import type { Config } from "../../config/index.js";
import { type LoggedOperation, readRecentOperations } from "../../ops/status/operations.js";
import { readStatusReport, type StatusReport } from "../../ops/status/report.js";
import { readRunningState, type StackState } from "../../stack/state-file.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags } from "../database-target.js";
import { formatTable, note, print, printJson } from "../output.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";
import { printBanner } from "./start.js";

export const statusHelp = `Show whether the local stack runs, with its URLs and keys, and a report on its database
(docs/cli/status.md).

Usage: groundwork status [--target NAME | --db-url URL] [-o pretty|env|json] [--workdir DIR]

  -o env          API_URL, DB_URL, PUBLISHABLE_KEY, SECRET_KEY, JWT_SECRET, ANON_KEY,
                  SERVICE_ROLE_KEY (the names of \`supabase status -o env\`), for
                  \`eval "$(groundwork status -o env)"\`
  -o json         the same variables and the database report as a JSON object
  --target NAME   report on the database named in groundwork.toml [targets.NAME] (no stack needed)
  --db-url URL    report on the database at URL (no stack needed)

The report: server version and size, per-table rows and insert/update/delete counts of the
exposed schemas, auth users, connections, cache hit ratio, applied migrations, and the last
operations of .groundwork/operations.jsonl.

Exits 1 when the stack is not running (without --target / --db-url) or the database cannot be read.`;

/** Operations-log lines the report shows. */
const RECENT_OPERATIONS = 10;

/** `groundwork status`. */
export async function statusCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    output: { type: "string", short: "o" },
    target: { type: "string" },
    "db-url": { type: "string" },
  });
  if (values.help) {
    print(statusHelp);
    return 0;
  }
  const format = values.output ?? "pretty";
  if (!["pretty", "env", "json"].includes(format)) {
    throw new UsageError(`-o must be pretty, env or json (got ${JSON.stringify(format)})`);
  }
  const config = await loadProjectConfig(values.workdir);
  const remoteUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  if (remoteUrl !== undefined) {
    if (format === "env")
      throw new UsageError("-o env prints the local stack's variables; it takes no --target or --db-url");
    return reportOn(config, remoteUrl, format, values.target);
  }
  const state = readRunningState(config.stateDir);
  if (!state) {
    note("Groundwork is not running for this project. Start it with `groundwork start`.");
    return 1;
  }
  const variables = statusVariables(config, state);
  if (format === "env") {
    // Machine output meant to be sourced: values in full, as `supabase status -o env` prints them.
    for (const [name, value] of Object.entries(variables)) process.stdout.write(`${name}="${value}"\n`);
    return 0;
  }
  const report = await tryReport(config, state.dbUrl);
  const operations = readRecentOperations(config.stateDir, RECENT_OPERATIONS);
  if (format === "json") {
    printJson({ ...variables, report: report ?? null, operations });
  } else {
    printBanner(config, state);
    if (report) {
      print();
      printReport(report, operations);
    }
  }
  return report ? 0 : 1;
}

async function reportOn(
  config: Config,
  url: string,
  format: string,
  target: string | undefined,
): Promise<number> {
  const report = await tryReport(config, url);
  if (!report) return 1;
  const operations = readRecentOperations(config.stateDir, RECENT_OPERATIONS);
  if (format === "json") printJson({ target: target ?? report.database, report, operations });
  else {
    print(`Status of ${target ?? report.database}`);
    print();
    printReport(report, operations);
  }
  return 0;
}

async function tryReport(config: Config, url: string): Promise<StatusReport | null> {
  try {
    return await readStatusReport(url, config.api.schemas);
  } catch (error) {
    note(`Could not read the database's status: ${(error as Error).message}`);
    return null;
  }
}

function printReport(report: StatusReport, operations: readonly LoggedOperation[]): void {
  const states = Object.entries(report.connections.byState)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  const facts: [string, string][] = [
    ["Database", report.database],
    ["Server", `PostgreSQL ${report.serverVersion}, ${report.size}`],
    ["Connections", `${report.connections.used} of ${report.connections.max} used (${states || "none"})`],
    [
      "Cache hit ratio",
      report.cacheHitRatio === null ? "no reads yet" : `${(report.cacheHitRatio * 100).toFixed(2)}%`,
    ],
    ["Auth users", report.authUsers === null ? "no auth schema" : String(report.authUsers)],
    [
      "Migrations",
      report.migrations.length === 0
        ? "none applied"
        : `${report.migrations.length} applied, latest ${describeMigration(report.migrations.at(-1))}`,
    ],
  ];
  const width = Math.max(...facts.map(([label]) => label.length));
  for (const [label, value] of facts) print(`${label.padStart(width)}: ${value}`);
  print();
  if (report.tables.length === 0) print("No tables in the exposed schemas.");
  for (const line of formatTable(
    ["table", "rows", "inserted", "updated", "deleted", "size"],
    report.tables.map((t) => [
      t.table,
      `${t.exact ? "" : "~"}${t.rows}`,
      String(t.inserted),
      String(t.updated),
      String(t.deleted),
      formatBytes(t.bytes),
    ]),
  )) {
    print(line);
  }
  print();
  if (operations.length === 0) {
    print("Recent operations: none logged yet (.groundwork/operations.jsonl).");
    return;
  }
  print("Recent operations (.groundwork/operations.jsonl):");
  for (const line of formatTable(
    ["when", "what", "target", "outcome", "who", "backup / detail"],
    operations.map((o) => [
      o.when ?? "",
      o.what,
      o.target,
      o.outcome,
      o.who ?? "",
      o.backupFile ?? o.detail ?? "",
    ]),
  )) {
    print(line);
  }
}

function describeMigration(migration: { version: string; name: string | null } | undefined): string {
  if (!migration) return "";
  return migration.name ? `${migration.version}_${migration.name}` : migration.version;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The variables `supabase status -o env` prints, under the same names. */
export function statusVariables(config: Config, state: StackState): Record<string, string> {
  const variables: Record<string, string> = {
    API_URL: state.apiUrl,
    REST_URL: `${state.apiUrl}/rest/v1`,
    AUTH_URL: `${state.apiUrl}/auth/v1`,
    DB_URL: state.dbUrl,
    PUBLISHABLE_KEY: config.jwt.publishableKeys[0] ?? "",
    SECRET_KEY: config.jwt.secretKeys[0] ?? "",
    JWT_SECRET: config.jwt.secret,
    ANON_KEY: config.jwt.anonKey,
    SERVICE_ROLE_KEY: config.jwt.serviceRoleKey,
  };
  if (config.edgeRuntime.enabled) variables.FUNCTIONS_URL = `${state.apiUrl}/functions/v1`;
  if (state.studioUrl) variables.STUDIO_URL = state.studioUrl;
  if (state.mailUrl) {
    // The Supabase CLI prints both: INBUCKET_URL (deprecated) and MAILPIT_URL.
    variables.INBUCKET_URL = state.mailUrl;
    variables.MAILPIT_URL = state.mailUrl;
  }
  return variables;
}
