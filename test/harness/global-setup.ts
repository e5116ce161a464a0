import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { loadConfig } from "../../src/config/index.js";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { withDatabase } from "../../src/db/database-url.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { runSeedFiles } from "../../src/migrate/seed.js";
import { applyPlatformSchema } from "../../src/platform/apply.js";
import { withClient } from "./client.js";
import { freePort } from "./free-port.js";
import { EXAMPLE_PROJECT, TEMPLATES } from "./templates.js";

/**
 * One embedded cluster for the whole run, with template databases that each test file clones
 * (CREATE DATABASE ... TEMPLATE): a real PostgreSQL, isolated per file, in milliseconds.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-test-"));
  // When tests run as root, PostgreSQL runs as the OS user "postgres", which must reach the folder.
  chmodSync(dir, 0o755);
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port: await freePort(),
    portSetting: "(test harness)",
    // Durability is irrelevant for a throw-away test cluster; speed is not.
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" },
  });
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query("alter role authenticator with login password 'postgres'").catch(() => {});
    for (const name of Object.values(TEMPLATES)) await admin.query(`create database ${name}`);
    await admin.end();

    await withClient(withDatabase(cluster.url(), TEMPLATES.platform), async (client) => {
      await applyPlatformSchema(client);
      await client.query("alter role authenticator with login password 'postgres'");
    });
    const crm = await loadConfig(EXAMPLE_PROJECT, {});
    await withClient(withDatabase(cluster.url(), TEMPLATES.crm), async (client) => {
      await applyPlatformSchema(client);
      await applyMigrations(client, readMigrationDirectory(crm.migrationsDir).migrations);
      await runSeedFiles(client, crm.seedPaths, crm.projectDir);
    });
  } catch (error) {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  project.provide("clusterUrl", cluster.url());
  return async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
