import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.js";
import { startEmbeddedCluster } from "../db/cluster.js";
import { invalidDatabaseUrlReason } from "../db/database-url.js";
import { readRunningState } from "../stack/state-file.js";
import { UsageError } from "./usage-error.js";

/**
 * The `--db-url URL` / `--target NAME` pair every command that acts on a database takes, as the
 * URL to hand {@link withDatabaseUrl} (undefined when neither is given). A target's URL is read
 * from the environment variable its `[targets.NAME] url_env` names.
 */
export function databaseUrlFromFlags(
  config: Config,
  flags: { readonly dbUrl?: string; readonly target?: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (flags.dbUrl !== undefined && flags.target !== undefined) {
    throw new UsageError("--db-url and --target name two databases: give one");
  }
  if (flags.target === undefined) return flags.dbUrl;
  const target = config.targets[flags.target];
  if (!target) {
    const known = Object.keys(config.targets);
    throw new UsageError(
      `unknown target "${flags.target}" (groundwork.toml defines ${known.length > 0 ? known.join(", ") : "no [targets.NAME]"})`,
    );
  }
  const url = env[target.urlEnv];
  if (!url) {
    throw new UsageError(`target "${flags.target}" reads its URL from ${target.urlEnv}, which is not set`);
  }
  return url;
}

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
