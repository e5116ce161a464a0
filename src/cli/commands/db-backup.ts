import path from "node:path";
import { backupDatabase } from "../../ops/backup/backup.js";
import { logOperation } from "../../ops/operations-log.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { note, print, printJson } from "../output.js";
import { progressBar } from "../progress-bar.js";
import { loadProjectConfig } from "../project.js";

export const dbBackupHelp = `Backs up the database's schema (as its migrations) and data to one file (docs/cli/db-backup.md).

Usage:
  groundwork db backup [--target NAME | --db-url URL] [--output FILE] [--json]

Options:
  --output FILE   where to write (default: backups/<timestamp>_<database>.gwbackup in the project)
  --json          print the manifest as JSON
  --db-url URL    the database to back up (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME   a database named in groundwork.toml [targets.NAME]
  --workdir DIR   the project folder (default: the current folder)`;

/** `groundwork db backup`. */
export async function dbBackupCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    output: { type: "string" },
    json: { type: "boolean" },
    "db-url": { type: "string" },
    target: { type: "string" },
  });
  if (values.help) {
    print(dbBackupHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const target = values.target ?? dbUrl ?? "local";
  const started = Date.now();
  const bar = progressBar("Backing up");
  try {
    const { file, manifest } = await withDatabaseUrl(config, dbUrl, (url) =>
      backupDatabase(url, {
        backupsDir: path.join(config.projectDir, "backups"),
        ...(values.output === undefined ? {} : { output: path.resolve(values.output) }),
        onProgress: bar.update,
      }),
    );
    bar.done();
    logOperation(config.stateDir, { what: "db backup", target, outcome: "ok", backupFile: file });
    if (values.json) {
      printJson({ file, manifest });
      return 0;
    }
    const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
    print(
      `Backed up ${manifest.database} (PostgreSQL ${manifest.serverVersion}) in ${Date.now() - started} ms: ` +
        `${manifest.migrations.length} migration(s), ${manifest.tables.length} table(s), ${rows} row(s).`,
    );
    print(`File: ${path.relative(process.cwd(), file) || file}`);
    return 0;
  } catch (error) {
    bar.done();
    logOperation(config.stateDir, {
      what: "db backup",
      target,
      outcome: "failed",
      detail: (error as Error).message,
    });
    note(`Backup failed: ${(error as Error).message}`);
    return 1;
  }
}
