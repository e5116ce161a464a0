import { mkdirSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import type { DestinationStream } from "pino";
import type { Config } from "../config/index.js";
import { type EmbeddedCluster, startEmbeddedCluster } from "../db/cluster.js";
import { withCredentials } from "../db/database-url.js";
import { connectDatabase, type Database } from "../db/pool.js";
import { quoteLiteral } from "../db/sql.js";
import { applyMigrations } from "../migrate/apply.js";
import { readMigrationDirectory } from "../migrate/files.js";
import { readHistory } from "../migrate/history.js";
import { planMigrations } from "../migrate/plan.js";
import { runSeedFiles } from "../migrate/seed.js";
import { applyPlatformSchema, platformSchemaIsCurrent } from "../platform/apply.js";
import { removeState, writeState } from "./state-file.js";

/** A running local stack: database (embedded or configured) and the API server. */
export interface Stack {
  readonly apiUrl: string;
  /** Superuser (or configured) URL of the database. */
  readonly dbUrl: string;
  readonly embedded: boolean;
  /** The local mail catcher's URL, or null when it is off or SMTP is configured. */
  readonly mailUrl: string | null;
  readonly app: FastifyInstance;
  readonly db: Database;
  /** Closes the server, then the pools, then stops the embedded cluster. Safe to call twice. */
  stop(): Promise<void>;
}

export type StartStep = "database" | "platform" | "migrations" | "seed" | "server";

export interface StartOptions {
  readonly onStep?: (step: StartStep, detail?: string) => void;
  readonly log?: (message: string) => void;
  /** Write `.groundwork/state.json` for `status`/`stop` (the CLI does; tests do not). */
  readonly writeStateFile?: boolean;
  /** Extra PostgreSQL settings for the embedded cluster. */
  readonly postgresSettings?: Readonly<Record<string, string>>;
  readonly logLevel?: Config["logLevel"];
  /** Where the server's log lines go; default stdout. */
  readonly logDestination?: DestinationStream;
}

/**
 * Starts the stack for a project: the embedded cluster (unless a database URL is configured),
 * the platform schema, on first start the migrations and seed (as `supabase start` does), and
 * the API server.
 */
export async function startStack(config: Config, options: StartOptions = {}): Promise<Stack> {
  const onStep = options.onStep ?? (() => {});
  const notices: string[] = [];
  const log = (message: string) => {
    notices.push(message);
    options.log?.(message);
  };
  let cluster: EmbeddedCluster | null = null;
  let db: Database | null = null;
  let app: FastifyInstance | null = null;
  let mailApp: FastifyInstance | null = null;
  const cleanup = async () => {
    await mailApp?.close();
    await app?.close();
    await db?.close();
    await cluster?.stop();
  };
  // The API's modules (every service) load while PostgreSQL starts: both take a few hundred
  // milliseconds, one in this process and one in PostgreSQL's.
  const serverModules = Promise.all([import("../http/server.js"), import("../http/mail-server.js")]);
  serverModules.catch(() => {}); // awaited below; a failed start must not also report it unhandled
  try {
    onStep("database");
    let adminUrl: string;
    if (config.db.url === null) {
      mkdirSync(config.stateDir, { recursive: true });
      cluster = await startEmbeddedCluster({
        dataDir: path.join(config.stateDir, "db"),
        port: config.db.port,
        portSetting: "[db] port in supabase/config.toml (or GROUNDWORK_DB_PORT)",
        settings: options.postgresSettings,
        log,
      });
      adminUrl = cluster.url();
    } else {
      adminUrl = config.db.url;
    }

    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      if (!(await platformSchemaIsCurrent(admin))) {
        onStep("platform");
        await applyPlatformSchema(admin);
      }
      if (cluster) {
        // The embedded cluster's authenticator password comes from config (default: "postgres").
        await admin.query(
          `alter role authenticator with login password ${quoteLiteral(config.db.authenticatorPassword)}`,
        );
      }
      const files = config.migrationsEnabled ? readMigrationDirectory(config.migrationsDir).migrations : [];
      if (cluster?.created) {
        onStep("migrations", `${files.length} file(s)`);
        await applyMigrations(admin, files);
        onStep("seed");
        await runSeedFiles(admin, config.seedPaths, config.projectDir);
      } else {
        const pending = planMigrations(files, await readHistory(admin)).filter((s) => s.state === "pending");
        if (pending.length > 0) {
          log(
            `${pending.length} migration(s) not applied yet: run \`groundwork migration up\` (or \`groundwork db reset\`).`,
          );
        }
      }
    } finally {
      await admin.end();
    }

    onStep("server");
    const [{ buildServer, listen }, { startMailCatcher }] = await serverModules;
    const apiUrl =
      config.db.authenticatorUrl ??
      withCredentials(adminUrl, "authenticator", config.db.authenticatorPassword);
    db = connectDatabase({ adminUrl, apiUrl, poolSize: config.db.poolSize });
    app = await buildServer({
      config,
      db,
      logLevel: options.logLevel,
      logDestination: options.logDestination,
    });
    const url = await listen(app, config);
    // The local mail catcher (Mailpit's API) while messages stay in the outbox.
    let mailUrl: string | null = null;
    if (config.mail.catcherEnabled && config.mail.smtp === null) {
      try {
        const catcher = await startMailCatcher(config, db);
        mailApp = catcher.app;
        mailUrl = catcher.url;
      } catch (error) {
        // The API serves without it; messages stay readable in groundwork.mail_outbox.
        if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
        log(
          `The mail catcher did not start: port ${config.mail.catcherPort} is in use. Choose another with [inbucket] port in supabase/config.toml (or GROUNDWORK_MAIL_PORT).`,
        );
      }
    }
    const embedded = cluster !== null;
    if (options.writeStateFile) {
      writeState(config.stateDir, {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        apiUrl: url,
        dbUrl: adminUrl,
        embedded,
        studioUrl: null,
        mailUrl,
        notices,
      });
    }
    let stopped: Promise<void> | null = null;
    const started: Database = db;
    const server: FastifyInstance = app;
    return {
      apiUrl: url,
      dbUrl: adminUrl,
      mailUrl,
      embedded,
      app: server,
      db: started,
      stop() {
        stopped ??= (async () => {
          await cleanup();
          if (options.writeStateFile) removeState(config.stateDir);
        })();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
}
