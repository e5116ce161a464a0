import { type ResetStep, resetDatabase } from "../../migrate/reset.js";
import { openStorageAdmin } from "../../services/storage/index.js";
import { parseCommandArgs } from "../args.js";
import { withDatabaseUrl } from "../database-target.js";
import { note, print } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const dbHelp = `Database commands.

Usage:
  groundwork db reset [--db-url URL]   recreate the database: platform schema, every migration, seed.sql,
                                       config.toml's storage buckets and their objects_path files
  groundwork db lint [options]         check for security and performance mistakes (db lint --help)
  groundwork db backup [options]       back up schema and data to backups/ (db backup --help)
  groundwork db restore FILE [options] restore a backup in one transaction (db restore --help)
  groundwork db push --target NAME     apply pending migrations safely to a target (db push --help)

Options:
  --workdir DIR   the project folder (default: the current folder)`;

const RESET_LABELS: Record<ResetStep, string> = {
  recreate: "Recreating the database",
  platform: "Installing the platform schema",
  migrations: "Applying migrations",
  seed: "Seeding data",
};

export async function dbCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    print(dbHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub === "lint") return (await import("./db-lint.js")).dbLintCommand(rest);
  if (sub === "backup") return (await import("./db-backup.js")).dbBackupCommand(rest);
  if (sub === "restore") return (await import("./db-restore.js")).dbRestoreCommand(rest);
  if (sub === "push") return (await import("./db-push.js")).dbPushCommand(rest);
  if (sub !== "reset") {
    throw new UsageError(`unknown subcommand "db ${sub}" (expected reset, lint, backup, restore or push)`);
  }
  const { values } = parseCommandArgs(rest, { "db-url": { type: "string" } });
  if (values.help) {
    print(dbHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const started = Date.now();
  const result = await withDatabaseUrl(config, values["db-url"], async (url) => {
    const storage = openStorageAdmin(config, url, note);
    try {
      // The bytes the old database referred to go with it; read their keys while it exists.
      const stale = await storage.blobKeys().catch(() => []);
      const reset = await withProgress("Resetting the database", () =>
        resetDatabase(config, url, (step) => note(`${RESET_LABELS[step]}…`)),
      );
      await storage.deleteBlobs(stale);
      const buckets = Object.keys(config.storage.buckets).length;
      if (buckets > 0) note("Seeding storage buckets…");
      const files = buckets > 0 ? await storage.seedBuckets() : 0;
      return { ...reset, buckets, files };
    } finally {
      await storage.close();
    }
  });
  const storage = result.buckets > 0 ? `, ${result.buckets} bucket(s) with ${result.files} file(s)` : "";
  print(
    `Reset the database in ${Date.now() - started} ms: ${result.migrations} migration(s), ${result.seedFiles} seed file(s)${storage}.`,
  );
  return 0;
}
