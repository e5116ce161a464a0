import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { WELL_KNOWN_SERVICE_ROLE_KEY } from "../../src/config/jwt-keys.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { runSeedFiles } from "../../src/migrate/seed.js";
import { withClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { eventually } from "../jobs/receiver.js";
import { signIn } from "../realtime/helpers.js";
import { startClamd, type TestClamd } from "../storage/clamd.js";

export const TOOLBOXAI = path.resolve(import.meta.dirname, "../../examples/toolboxai");

/** The example's seeded organizations. */
export const ETOILE = "00000000-0000-4000-8000-0000000e7011";
export const TOKYO = "00000000-0000-4000-8000-00000000a5a1";

/** The local stack's API address, as the example's webhooks and cron job name it. */
const LOCAL_API = "http://127.0.0.1:54321";

/** The example served on a real port with its functions (real Deno) and a real clamd. */
export interface ToolboxServer extends TestServer {
  /** A supabase-js client signed in as a seeded user (realtime authorized with the session). */
  signedIn(email: string): Promise<{ client: SupabaseClient; userId: string }>;
  sql<R extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

/**
 * Starts a server on the example's project folder, applies its migrations and seed, and waits for
 * its buckets. The migrations name the local stack's address (127.0.0.1:54321), which a test
 * must not bind: they are applied with the test server's address instead, the only change.
 */
export async function startToolboxServer(): Promise<ToolboxServer> {
  const clamd: TestClamd = await startClamd();
  const storagePath = await mkdtemp(path.join(tmpdir(), "gw-toolboxai-"));
  const server = await startTestServer({
    template: "platform",
    projectDir: TOOLBOXAI,
    env: { GROUNDWORK_STORAGE_PATH: storagePath, CLAMD_SOCKET: clamd.socket },
  });
  const migrations = readMigrationDirectory(server.config.migrationsDir).migrations.map((file) => ({
    ...file,
    sql: file.sql
      .replaceAll(LOCAL_API, server.url)
      .replaceAll(WELL_KNOWN_SERVICE_ROLE_KEY, server.serviceRoleKey),
  }));
  await withClient(server.database.adminUrl, async (client) => {
    await applyMigrations(client, migrations);
    await runSeedFiles(client, server.config.seedPaths, server.config.projectDir);
  });
  const sql = async <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    (await server.database.query<R>(text, params)).rows;
  await eventually(
    async () =>
      (await sql("select id from storage.buckets where id in ('files', 'thumbnails')")).length === 2 ||
      undefined,
    20_000,
    "the buckets of config.toml",
  );
  // The data API reloads its schema cache after the migrations; the last one's function is in it
  // once a call reaches the function (retention_days 0 is refused before it does anything).
  const service = server.client(server.serviceRoleKey);
  await eventually(
    async () =>
      (await service.rpc("aggregate_agent_analytics", { retention_days: 0 })).error?.code === "22023" ||
      undefined,
    20_000,
    "the schema cache with the example's migrations",
  );
  const clients: SupabaseClient[] = [];
  return {
    ...server,
    sql,
    async signedIn(email) {
      const client = server.client();
      clients.push(client);
      await signIn(client, email);
      await client.realtime.setAuth();
      const { data } = await client.auth.getUser();
      if (!data.user) throw new Error(`no user for ${email}`);
      return { client, userId: data.user.id };
    },
    async close() {
      for (const client of clients) {
        await client.removeAllChannels();
        await client.realtime.disconnect();
      }
      server.app.server.closeAllConnections();
      await server.close();
      await clamd.stop();
      await rm(storagePath, { recursive: true, force: true });
    },
  };
}
