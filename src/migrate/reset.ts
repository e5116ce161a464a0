import pg from "pg";
import type { Config } from "../config/index.js";
import { databaseName, withDatabase } from "../db/database-url.js";
import { quoteIdent } from "../db/sql.js";
import { applyPlatformSchema } from "../platform/apply.js";
import { applyMigrations } from "./apply.js";
import { readMigrationDirectory } from "./files.js";
import { runSeedFiles } from "./seed.js";

export interface ResetResult {
  readonly platformFiles: number;
  readonly migrations: number;
  readonly seedFiles: number;
}

export type ResetStep = "recreate" | "platform" | "migrations" | "seed";

/**
 * Rebuilds a database from the project's files: drops and recreates it, installs the platform
 * schema, applies every migration, runs the seed. Connections to the old database are ended
 * (`DROP DATABASE ... WITH (FORCE)`), and so are its replication slots (a running server's
 * realtime feed holds one); the server's pools and feed reconnect on their own.
 */
export async function resetDatabase(
  config: Config,
  databaseUrl: string,
  onStep: (step: ResetStep) => void = () => {},
): Promise<ResetResult> {
  const name = databaseName(databaseUrl);
  onStep("recreate");
  const maintenance = new pg.Client({
    connectionString: withDatabase(databaseUrl, name === "template1" ? "postgres" : "template1"),
  });
  await maintenance.connect();
  try {
    await dropDatabase(maintenance, name);
    await maintenance.query(`create database ${quoteIdent(name)}`);
  } finally {
    await maintenance.end();
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    onStep("platform");
    const platform = await applyPlatformSchema(client);
    onStep("migrations");
    const migrations = await applyMigrations(
      client,
      config.migrationsEnabled ? readMigrationDirectory(config.migrationsDir).migrations : [],
    );
    onStep("seed");
    const seeds = await runSeedFiles(client, config.seedPaths, config.projectDir);
    return { platformFiles: platform.length, migrations: migrations.length, seedFiles: seeds.length };
  } finally {
    await client.end();
  }
}

/** How often a drop is tried while a replication connection keeps coming back (realtime's feed). */
const DROP_ATTEMPTS = 20;

/**
 * Drops a database with everything connected to it. `WITH (FORCE)` ends ordinary sessions but not
 * a replication connection streaming from a slot, and no database with a slot can be dropped: the
 * connections using the database's slots are ended and the slots dropped first, again if a feed
 * reconnects in between.
 */
async function dropDatabase(maintenance: pg.Client, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await maintenance.query(
      `select pg_terminate_backend(active_pid) from pg_replication_slots
        where database = $1 and active_pid is not null`,
      [name],
    );
    try {
      await maintenance.query(
        `select pg_drop_replication_slot(slot_name) from pg_replication_slots
          where database = $1 and not active and not temporary`,
        [name],
      );
      await maintenance.query(`drop database if exists ${quoteIdent(name)} with (force)`);
      return;
    } catch (error) {
      // 55006 object_in_use: a slot became active again (or a slot is not gone yet); try again.
      if ((error as { code?: string }).code !== "55006" || attempt >= DROP_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
