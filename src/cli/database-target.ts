import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.js";
import { startEmbeddedCluster } from "../db/cluster.js";
import { invalidDatabaseUrlReason } from "../db/database-url.js";
import { readRunningState } from "../stack/state-file.js";
import { UsageError } from "./usage-error.js";

/**
 * Runs `fn` with the URL of the database a command acts on: `--db-url`, else the configured
 * database URL, else the running local stack's, else the embedded cluster started just for this
 * command (and stopped after).
 */
export async function withDatabaseUrl<T>(
  config: Config,
  dbUrlFlag: string | undefined,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const explicit = dbUrlFlag ?? config.db.url;
  if (explicit) {
    const reason = invalidDatabaseUrlReason(explicit);
    if (reason) throw new UsageError(`The database URL is not usable: ${reason}.`);
    return fn(explicit);
  }
  const running = readRunningState(config.stateDir);
  if (running) return fn(running.dbUrl);
  mkdirSync(config.stateDir, { recursive: true });
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(config.stateDir, "db"),
    port: config.db.port,
    portSetting: "[db] port in supabase/config.toml (or GROUNDWORK_DB_PORT)",
    log: (message) => process.stderr.write(`${message}\n`),
  });
  try {
    return await fn(cluster.url());
  } finally {
    await cluster.stop();
  }
}
