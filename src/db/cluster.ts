import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { embeddedDatabaseUrl } from "./database-url.js";
import { installExtensionFiles } from "./extension-files.js";
import { type RunAs, serverRunAs } from "./os-user.js";
import { postgresBinaries } from "./postgres-binaries.js";
import { isProcessAlive } from "./process-alive.js";

/** A running embedded PostgreSQL server owned by this process. */
export interface EmbeddedCluster {
  readonly dataDir: string;
  readonly port: number;
  /** True when this start ran initdb (the first start of a project). */
  readonly created: boolean;
  /** Superuser URL of a database on this cluster. */
  url(database?: string): string;
  /** Fast shutdown; resolves once the server has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Where the setting that chooses the port lives, for the "port in use" message. */
  readonly portSetting: string;
  /** Extra `-c name=value` server settings (tests turn off fsync, for instance). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
}

/** The port is taken by another program. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    setting: string,
  ) {
    super(
      `Port ${port} is already in use by another program. Stop that program, or choose another port with ${setting}.`,
    );
    this.name = "PortInUseError";
  }
}

const SUPERUSER_PASSWORD = "postgres";
const READY_MESSAGE = "database system is ready to accept connections";

/**
 * Starts the embedded cluster in `dataDir`, creating it on first use. Recovers from a crash of a
 * previous run (a stale `postmaster.pid`, or a server left running without its owner).
 */
export async function startEmbeddedCluster(options: ClusterOptions): Promise<EmbeddedCluster> {
  const log = options.log ?? (() => {});
  const runAs = serverRunAs(log);
  await recoverAfterCrash(options.dataDir, log);
  await assertPortFree(options.port, options.portSetting);
  const created = await initialiseIfMissing(options.dataDir, runAs);
  // pg_net, pg_cron and pgmq as SQL APIs Groundwork serves, so Supabase migrations apply unmodified.
  installExtensionFiles(postgresBinaries().extensionDir);
  const child = await spawnServer(options, runAs);
  let exited: Promise<void> | null = null;
  return {
    dataDir: options.dataDir,
    port: options.port,
    created,
    url: (database = "postgres") => embeddedDatabaseUrl(options.port, database),
    stop() {
      exited ??= stopServer(child);
      return exited;
    },
  };
}

async function initialiseIfMissing(dataDir: string, runAs: RunAs): Promise<boolean> {
  if (existsSync(path.join(dataDir, "PG_VERSION"))) return false;
  await fs.rm(dataDir, { recursive: true, force: true });
  // Only the data folder itself is private; folders above it stay reachable (see assertReachable).
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await fs.mkdir(dataDir, { mode: 0o700 });
  const passwordFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "groundwork-initdb-")), "pw");
  await fs.writeFile(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) {
    assertReachable(path.dirname(dataDir), runAs);
    await fs.chown(dataDir, runAs.uid, runAs.gid);
    await fs.chown(path.dirname(passwordFile), runAs.uid, runAs.gid);
    await fs.chown(passwordFile, runAs.uid, runAs.gid);
  }
  const args = [
    `--pgdata=${dataDir}`,
    "--username=postgres",
    `--pwfile=${passwordFile}`,
    "--auth=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C",
    // The cluster is disposable local state; skipping fsync at creation saves about a second.
    "--no-sync",
    "--no-instructions",
  ];
  try {
    await run(postgresBinaries().initdb, args, runAs);
  } catch (error) {
    // Leave no half-made cluster behind: the next start would take it for a good one.
    await fs.rm(dataDir, { recursive: true, force: true });
    throw new Error(`Could not create the PostgreSQL cluster in ${dataDir}: ${(error as Error).message}`);
  } finally {
    await fs.rm(path.dirname(passwordFile), { recursive: true, force: true });
  }
  return true;
}

/**
 * As root, PostgreSQL runs as another OS user, which must be able to reach the data folder:
 * every folder above it needs the "x" permission for that user.
 */
function assertReachable(dir: string, runAs: RunAs): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const reachable =
      stat.uid === runAs.uid
        ? (stat.mode & 0o100) !== 0
        : stat.gid === runAs.gid
          ? (stat.mode & 0o010) !== 0
          : (stat.mode & 0o001) !== 0;
    if (!reachable) {
      throw new Error(
        `PostgreSQL runs as the OS user "postgres" (it refuses root) and cannot enter ${current}. ` +
          `Allow it with \`chmod o+x ${current}\`, or keep the project in a folder other users can reach.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

function run(program: string, args: string[], runAs: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...runAs, stdio: ["ignore", "pipe", "pipe"], env: serverEnv() });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${path.basename(program)} exited with code ${code}: ${output.trim().slice(-2000)}`),
        );
    });
  });
}

function serverEnv(): NodeJS.ProcessEnv {
  // English server messages: the start-up wait reads them.
  return { ...process.env, LC_MESSAGES: "C", LC_ALL: "C" };
}

/**
 * After a crash the data folder may hold a `postmaster.pid` of a dead server, or a server may
 * still run without the process that owned it. Both are recovered here, with a message.
 */
async function recoverAfterCrash(dataDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    log(`Removing an unreadable postmaster.pid in ${dataDir} (left by a crash).`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  if (!isProcessAlive(pid)) {
    log(
      `Found a stale postmaster.pid (pid ${pid} is not running): the last run did not shut down cleanly. Removing it.`,
    );
    await fs.rm(pidFile, { force: true });
    return;
  }
  if (!isPostgresFor(pid, dataDir)) {
    log(`Found a stale postmaster.pid: pid ${pid} now belongs to another program. Removing it.`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  log(`PostgreSQL (pid ${pid}) is still running from a run that did not shut down cleanly. Stopping it.`);
  process.kill(pid, "SIGINT");
  if (!(await waitForExit(pid, 15_000))) {
    throw new Error(
      `PostgreSQL (pid ${pid}) for ${dataDir} did not stop within 15 s. Stop it yourself (kill ${pid}) and try again.`,
    );
  }
}

function isPostgresFor(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\u0000");
    return path.basename(cmdline[0] ?? "") === "postgres" && cmdline.includes(dataDir);
  } catch {
    // No /proc (macOS): trust the pid file, as PostgreSQL itself does.
    return true;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Fails with a message naming the port and the setting to change when it is taken. */
export async function assertPortFree(port: number, setting: string): Promise<void> {
  if (port === 0) return;
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new PortInUseError(port, setting);
}

async function spawnServer(options: ClusterOptions, runAs: RunAs): Promise<ChildProcess> {
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    max_connections: "100",
    // Realtime reads changes through logical replication (pgoutput) on temporary slots, which
    // die with their connection; the bound below caps what any slot may retain regardless.
    wal_level: "logical",
    max_replication_slots: "20",
    max_wal_senders: "20",
    max_slot_wal_keep_size: "1GB",
    ...options.settings,
  };
  const args = ["-D", options.dataDir, "-p", String(options.port)];
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);
  const logFile = createWriteStream(path.join(path.dirname(options.dataDir), "postgres.log"), { flags: "a" });
  // Its own process group: Ctrl-C reaches us, and we stop the server after the API has drained.
  const child = spawn(postgresBinaries().postgres, args, {
    ...runAs,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: serverEnv(),
  });
  return new Promise((resolve, reject) => {
    let recent = "";
    let ready = false;
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      logFile.write(text);
      if (ready) return;
      recent = (recent + text).slice(-4000);
      if (recent.includes(READY_MESSAGE)) {
        ready = true;
        resolve(child);
      }
    });
    child.once("error", (error) => reject(new Error(`Could not run PostgreSQL: ${error.message}`)));
    // Output can still arrive after "exit" (the pipe drains later): end the log when it closes.
    child.stderr?.once("close", () => logFile.end());
    child.once("exit", (code, signal) => {
      if (ready) return;
      if (/could not bind|Address already in use/i.test(recent)) {
        reject(new PortInUseError(options.port, options.portSetting));
        return;
      }
      const fatal = recent
        .split("\n")
        .filter((line) => /FATAL|PANIC|ERROR/.test(line))
        .join("\n");
      reject(
        new Error(
          `PostgreSQL exited during start-up (${signal ?? `code ${code}`}): ${fatal || recent.trim().slice(-1500)}`,
        ),
      );
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGQUIT"), 15_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGINT");
  });
}
