/**
 * The benchmarks' database: an embedded cluster of their own with one database holding
 * the platform schema, the example project's migrations and its seed.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../src/config/index.js";
import { startEmbeddedCluster } from "../src/db/cluster.js";
import { withDatabase } from "../src/db/database-url.js";
import { applyMigrations } from "../src/migrate/apply.js";
import { readMigrationDirectory } from "../src/migrate/files.js";
import { runSeedFiles } from "../src/migrate/seed.js";
import { applyPlatformSchema } from "../src/platform/apply.js";
import { freePort } from "../test/harness/free-port.js";

export const EXAMPLE = new URL("../examples/crm/", import.meta.url).pathname;

export interface ExampleDatabase {
  /** Superuser URL of the database. */
  readonly adminUrl: string;
  /** Creates database `name` as a copy of it (CREATE DATABASE ... TEMPLATE) and returns its URL. */
  copy(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the cluster and builds the example database in it (another example project's if given). */
export async function startExampleDatabase(projectDir: string = EXAMPLE): Promise<ExampleDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-"));
  chmodSync(dir, 0o755);
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port: await freePort(),
    portSetting: "(bench)",
    settings: { max_connections: "200", shared_buffers: "128MB" },
  });
  const stop = async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const adminUrl = withDatabase(cluster.url(), "bench");
    const maintenance = new pg.Client({ connectionString: cluster.url() });
    await maintenance.connect();
    await maintenance.query("create database bench");
    await maintenance.end();
    const setup = new pg.Client({ connectionString: adminUrl });
    await setup.connect();
    await applyPlatformSchema(setup);
    await setup.query("alter role authenticator with login password 'postgres'");
    const project = await loadConfig(projectDir, {});
    await applyMigrations(setup, readMigrationDirectory(project.migrationsDir).migrations);
    await runSeedFiles(setup, project.seedPaths, project.projectDir);
    await setup.end();
    const copy = async (name: string) => {
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      try {
        await admin.query(`create database ${name} template bench`);
      } finally {
        await admin.end();
      }
      return withDatabase(cluster.url(), name);
    };
    return { adminUrl, copy, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
