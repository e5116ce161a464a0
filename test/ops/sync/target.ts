import pg from "pg";
import { loadConfig } from "../../../src/config/index.js";
import { withDatabase } from "../../../src/db/database-url.js";
import { applyMigrations } from "../../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../../src/migrate/files.js";
import { applyPlatformSchema } from "../../../src/platform/apply.js";
import { withClient } from "../../harness/client.js";
import { EXAMPLE_PROJECT } from "../../harness/templates.js";

export { withClient };

/**
 * Creates database `name` on the remote cluster with the platform schema and the example project's
 * migrations (the first `migrations` of them when given): a target whose schema matches (or lags)
 * the local example database. Returns its URL.
 */
export async function createTargetDatabase(
  clusterUrl: string,
  name: string,
  migrations?: number,
): Promise<string> {
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(clusterUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await applyPlatformSchema(client);
    const config = await loadConfig(EXAMPLE_PROJECT, {});
    const files = readMigrationDirectory(config.migrationsDir).migrations;
    await applyMigrations(client, migrations === undefined ? files : files.slice(0, migrations));
  } finally {
    await client.end();
  }
  return url;
}

/** Runs `fn` with a connected client, then closes it. */
