import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { withCredentials, withDatabase } from "../../src/db/database-url.js";
import { applyDatabaseSettings } from "../../src/platform/apply.js";
import { TEMPLATES, type TemplateName } from "./templates.js";

/** A database of the test cluster, cloned from a template for one test file. */
export interface TestDatabase {
  readonly name: string;
  /** Superuser URL. */
  readonly adminUrl: string;
  /** URL as `authenticator`, as the API pool logs in. */
  readonly apiUrl: string;
  /** Runs one query as the superuser (setup and assertions). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

/** Clones a template database (platform schema, or the example CRM) into a fresh database. */
export async function createTestDatabase(template: TemplateName = "platform"): Promise<TestDatabase> {
  const clusterUrl = inject("clusterUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const maintenance = new pg.Client({ connectionString: clusterUrl });
  await maintenance.connect();
  try {
    await maintenance.query(`create database ${name} template ${TEMPLATES[template]}`);
  } finally {
    await maintenance.end();
  }
  const adminUrl = withDatabase(clusterUrl, name);
  const admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
  // A test may drop the database under the pool (db reset); idle clients then just go away.
  admin.on("error", () => {});
  const client = await admin.connect();
  try {
    await applyDatabaseSettings(client);
  } finally {
    client.release();
  }
  return {
    name,
    adminUrl,
    apiUrl: withCredentials(adminUrl, "authenticator", "postgres"),
    query: (sql, params) => admin.query(sql, params),
    async drop() {
      await admin.end();
      const drop = new pg.Client({ connectionString: clusterUrl });
      await drop.connect();
      try {
        // Pools a test ended may still be closing their connections (pg-pool's end() does not wait
        // for them): terminated by the drop, such a connection's error reaches a pool that no
        // longer listens and fails the run. Give them a moment to go, then force what is left.
        for (let waited = 0; waited < 2000; waited += 50) {
          const open = await drop.query(
            "select count(*)::int as n from pg_stat_activity where datname = $1",
            [name],
          );
          if (open.rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await drop.query(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.end();
      }
    },
  };
}
