import { existsSync } from "node:fs";
import path from "node:path";
import { RestoreMismatchError, restoreDatabase } from "../../ops/backup/restore.js";
import { logOperation } from "../../ops/operations-log.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { note, print } from "../output.js";
import { progressBar } from "../progress-bar.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const dbRestoreHelp = `Restores a backup file in one transaction and checks it against the manifest (docs/cli/db-backup.md).

Usage:
  groundwork db restore FILE [--target NAME | --db-url URL] [--force]

Options:
  --force         replace a database that is not empty (its schemas are dropped in the same transaction)
  --db-url URL    the database to restore into (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME   a database named in groundwork.toml [targets.NAME]
  --workdir DIR   the project folder (default: the current folder)

Exit codes: 0 restored and verified, 1 refused or failed (the target is unchanged), 2 usage error.`;

const STEPS = {
  platform: "Installing the platform schema…",
  migrations: "Replaying migrations…",
  data: "Loading data…",
  verify: "Checking counts and checksums against the manifest…",
} as const;

/** `groundwork db restore FILE`. */
export async function dbRestoreCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { force: { type: "boolean" }, "db-url": { type: "string" }, target: { type: "string" } },
    { min: 1, max: 1 },
  );
  if (values.help) {
    print(dbRestoreHelp);
    return 0;
  }
  const file = path.resolve(positionals[0] ?? "");
  if (!existsSync(file)) throw new UsageError(`no backup file at ${file}`);
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  const target = values.target ?? dbUrl ?? "local";
  const started = Date.now();
  const bar = progressBar("Restoring");
  try {
    const result = await withDatabaseUrl(config, dbUrl, (url) =>
      restoreDatabase(file, url, {
        force: values.force === true,
        onStep: (step) => {
          bar.done();
          note(STEPS[step]);
        },
        onProgress: bar.update,
      }),
    );
    bar.done();
    logOperation(config.stateDir, { what: "db restore", target, outcome: "ok", backupFile: file });
    print(
      `Restored ${result.rows} row(s) in ${result.tables.length} table(s) and ${result.manifest.migrations.length} migration(s) ` +
        `in ${Date.now() - started} ms; every count and checksum matches the manifest.`,
    );
    return 0;
  } catch (error) {
    bar.done();
    const message = (error as Error).message;
    logOperation(config.stateDir, {
      what: "db restore",
      target,
      outcome: "failed",
      backupFile: file,
      detail: message,
    });
    if (error instanceof RestoreMismatchError) {
      note("Restore rolled back: the restored data does not match the backup's manifest.");
      for (const line of error.mismatches) note(`  ${line}`);
    } else {
      note(`Restore failed, nothing was changed: ${message}`);
    }
    return 1;
  }
}
