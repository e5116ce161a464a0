import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { applyMigrations } from "../../migrate/apply.js";
import { newVersion, readMigrationDirectory } from "../../migrate/files.js";
import { readHistory } from "../../migrate/history.js";
import { type MigrationStatus, planMigrations } from "../../migrate/plan.js";
import { applyPlatformSchema, platformSchemaIsCurrent } from "../../platform/apply.js";
import { parseCommandArgs } from "../args.js";
import { withDatabaseUrl } from "../database-target.js";
import { formatTable, note, print, printJson } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const migrationHelp = `Manage the migrations in supabase/migrations.

Usage:
  groundwork migration new NAME      create supabase/migrations/<timestamp>_NAME.sql
  groundwork migration list [--json] files vs the database's history (drift is flagged)
  groundwork migration up [--include-all]
                                     apply pending migrations, each in its own transaction

Options:
  --db-url URL    act on this database instead of the local one
  --workdir DIR   the project folder (default: the current folder)`;

export async function migrationCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "new":
      return migrationNew(rest);
    case "list":
      return migrationList(rest);
    case "up":
      return migrationUp(rest);
    case undefined:
    case "-h":
    case "--help":
      print(migrationHelp);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown subcommand "migration ${sub}" (expected new, list or up)`);
  }
}

async function migrationNew(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {}, { min: 1, max: 1 });
  if (values.help) {
    print(migrationHelp);
    return 0;
  }
  const name = positionals[0] as string;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new UsageError(
      `a migration name may hold letters, digits, _ and - only (got ${JSON.stringify(name)})`,
    );
  }
  const config = await loadProjectConfig(values.workdir);
  mkdirSync(config.migrationsDir, { recursive: true });
  const file = path.join(config.migrationsDir, `${newVersion()}_${name}.sql`);
  if (existsSync(file)) throw new Error(`${file} already exists; wait a second and try again.`);
  writeFileSync(file, "");
  print(`Created new migration at ${path.relative(process.cwd(), file) || file}`);
  return 0;
}

async function migrationList(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { json: { type: "boolean" }, "db-url": { type: "string" } });
  if (values.help) {
    print(migrationHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const directory = readMigrationDirectory(config.migrationsDir);
  const statuses = await withDatabaseUrl(config, values["db-url"], async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return planMigrations(directory.migrations, await readHistory(client));
    } finally {
      await client.end();
    }
  });
  if (values.json) {
    printJson(statuses.map(({ file: _file, ...status }) => status));
  } else {
    for (const skipped of directory.skipped) note(`Skipping ${skipped.fileName}: ${skipped.reason}.`);
    const rows = statuses.map((s) => [s.version, s.name, describe(s)]);
    for (const line of formatTable(["VERSION", "NAME", "STATE"], rows)) print(line);
    if (statuses.length === 0) print("(no migrations)");
  }
  return statuses.some((s) => s.state === "drifted" || s.state === "missing") ? 1 : 0;
}

function describe(status: MigrationStatus): string {
  switch (status.state) {
    case "applied":
      return "applied";
    case "pending":
      return status.outOfOrder ? "pending (older than the newest applied: needs --include-all)" : "pending";
    case "drifted":
      return "DRIFTED: file changed after it was applied";
    case "unverified":
      return "applied (no checksum recorded)";
    case "missing":
      return "MISSING: applied, but no file";
  }
}

async function migrationUp(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    "include-all": { type: "boolean" },
    "db-url": { type: "string" },
  });
  if (values.help) {
    print(migrationHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const { migrations, skipped } = readMigrationDirectory(config.migrationsDir);
  for (const file of skipped) note(`Skipping ${file.fileName}: ${file.reason}.`);
  const applied = await withDatabaseUrl(config, values["db-url"], async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (!(await platformSchemaIsCurrent(client))) await applyPlatformSchema(client);
      return await withProgress("Applying migrations", () =>
        applyMigrations(client, migrations, {
          includeAll: values["include-all"],
          onMigration: (file) => note(`Applying migration ${file.fileName}…`),
        }),
      );
    } finally {
      await client.end();
    }
  });
  print(applied.length === 0 ? "Local database is up to date." : `Applied ${applied.length} migration(s).`);
  return 0;
}
