import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { FastifyInstance } from "fastify";
import ws from "ws";
import { type Config, loadConfig } from "../../src/config/index.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { EXAMPLE_PROJECT, type TemplateName } from "./templates.js";

/** A server started in-process on a real port, on a cloned database. */
export interface TestServer {
  readonly url: string;
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly db: Database;
  readonly database: TestDatabase;
  /** A supabase-js client with the anon key (pass another key or token to act as someone else). */
  client(key?: string): SupabaseClient;
  readonly anonKey: string;
  readonly serviceRoleKey: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Template to clone: `crm` (default; the example project) or `platform` (empty schema). */
  readonly template?: TemplateName;
  /** Project folder whose config to load; default the example project. */
  readonly projectDir?: string;
  /** Extra environment for config loading (e.g. GROUNDWORK_JWT_SECRET). */
  readonly env?: Record<string, string>;
  /** Server log level; default silent (the fuzz test shows errors behind a 5xx). */
  readonly logLevel?: Config["logLevel"];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(options.template ?? "crm");
  const config = await loadConfig(options.projectDir ?? EXAMPLE_PROJECT, {
    DATABASE_URL: database.adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: database.apiUrl,
    GROUNDWORK_API_PORT: "0",
    ...options.env,
  });
  const db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 5 });
  const app = await buildServer({ config, db, logLevel: options.logLevel ?? "silent" });
  const url = await listen(app, config);
  return {
    url,
    config,
    app,
    db,
    database,
    anonKey: config.jwt.anonKey,
    serviceRoleKey: config.jwt.serviceRoleKey,
    client(key = config.jwt.anonKey) {
      return testClient(url, key);
    },
    async close() {
      await app.close();
      await db.close();
      await database.drop();
    },
  };
}

/**
 * A supabase-js client for tests. Node 20 has no global WebSocket, so realtime gets the `ws`
 * package as its transport (as supabase-js documents for Node < 22).
 */
export function testClient(url: string, key: string): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws as unknown as WebSocketLikeConstructor },
  });
}
