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
 * (`DROP DATABASE ... WITH (FORCE)`); a running server's pools reconnect on their own.
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
    await maintenance.query(`drop database if exists ${quoteIdent(name)} with (force)`);
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
