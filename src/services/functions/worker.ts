import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { stripVTControlCharacters } from "node:util";
import type { Pool } from "undici";

/**
 * undici's Pool, loaded when it is first needed (or just after the server listens, see
 * {@link loadPool}) rather than with the server. Only the Pool's own module: undici's index also
 * loads fetch, WebSocket, caches and mocks, which takes several times as long (a few hundred ms
 * on a loaded machine, all of it in the first call's cold start). undici has no `exports` map,
 * so its modules are reachable; the Pool is the same class its index exports.
 */
let PoolClass: typeof Pool | null = null;

/** Loads undici's Pool once (synchronously: a require of a CommonJS module). */
export function loadPool(): typeof Pool {
  PoolClass ??= createRequire(import.meta.url)("undici/lib/dispatcher/pool.js") as typeof Pool;
  return PoolClass;
}

import { CpuBudget } from "./cpu-time.js";
import type { FunctionFiles } from "./function-files.js";
import type { ImportMap } from "./import-map.js";

/** One line a function wrote (console, stdout or stderr), with the request it was handling. */
export interface FunctionLogLine {
  readonly function: string;
  readonly level: "debug" | "info" | "warn" | "error";
  readonly requestId: string | null;
  readonly message: string;
}

/** Everything a worker process is started from. */
export interface WorkerSpec {
  readonly files: FunctionFiles;
  readonly denoPath: string;
  readonly bootstrap: string;
  readonly importMap: ImportMap;
  readonly env: Readonly<Record<string, string>>;
  /** Folders the function may read besides its own and its temp folder. */
  readonly readPaths: readonly string[];
  readonly memoryLimitMb: number;
  /** CPU time a request may use (see CpuBudget). */
  readonly cpuTimeMs: number;
  readonly bootTimeoutMs: number;
  readonly onLog: (line: FunctionLogLine) => void;
}

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** V8 ran out of heap: the memory limit was hit. */
  readonly outOfMemory: boolean;
}

/** The worker could not start: the module failed to load, threw, or never called Deno.serve. */
export class BootError extends Error {
  override readonly name = "BootError";
}

const STDERR_KEPT = 20;

/** Longest Unix socket path every platform accepts (`sun_path` is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 100;

/** Where a worker's HTTP server listens: a Unix socket in its temp folder, or a loopback port. */
export type WorkerAddress = { readonly socketPath: string } | { readonly port: number };

/**
 * One function's Deno process. It is started with Deno's permissions limited to the network,
 * the environment, reads of the function's own folder (plus `_shared` and static files) and
 * writes to its own temp folder; the V8 heap is capped at the memory limit. Requests reach it
 * over HTTP on a Unix socket in its temp folder (cheaper than loopback TCP: no TCP stack and no
 * port to pick), or on a loopback port where Unix sockets are not available (Windows, or a temp
 * folder path too long for a socket).
 */
export class FunctionWorker {
  readonly name: string;
  readonly files: FunctionFiles;
  /** Resolves with the address once the function called Deno.serve; rejects with a BootError. */
  readonly ready: Promise<WorkerAddress>;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<WorkerExit>;
  /** Keep-alive connections to this worker (undici's pool: the fastest HTTP client for Node). */
  private connections: Pool | null = null;
  /** The CPU time of the worker's requests, charged while they run. */
  readonly cpu: CpuBudget;
  /** Requests being handled; a retired worker is stopped when this reaches 0. */
  inFlight = 0;
  private readonly child: ChildProcess;
  private readonly tempDir: string;
  private readonly recentStderr: string[] = [];
  private exit: WorkerExit | null = null;
  private address: WorkerAddress | null = null;

  constructor(spec: WorkerSpec) {
    this.name = spec.files.name;
    this.files = spec.files;
    // The name is cut short so that the socket's path stays within what Unix sockets allow.
    this.tempDir = mkdtempSync(path.join(os.tmpdir(), `groundwork-fn-${spec.files.name.slice(0, 24)}-`));
    const importMapFile = path.join(this.tempDir, "import_map.json");
    writeFileSync(importMapFile, JSON.stringify(spec.importMap));
    const nonce = randomBytes(16).toString("hex");
    const readable = [spec.files.dir, this.tempDir, ...spec.readPaths];
    const socketPath = path.join(this.tempDir, "http.sock");
    const useSocket = process.platform !== "win32" && Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
    this.child = spawn(
      spec.denoPath,
      [
        "run",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        `--import-map=${importMapFile}`,
        "--allow-net",
        "--allow-env",
        "--allow-import",
        `--allow-read=${readable.join(",")}`,
        `--allow-write=${this.tempDir}`,
        `--v8-flags=--max-old-space-size=${spec.memoryLimitMb}`,
        spec.bootstrap,
      ],
      {
        cwd: spec.files.dir,
        env: {
          ...spec.env,
          TMPDIR: this.tempDir,
          GROUNDWORK_FUNCTION_ENTRY: pathToFileURL(spec.files.entrypoint).href,
          GROUNDWORK_FUNCTION_NONCE: nonce,
          ...(useSocket ? { GROUNDWORK_FUNCTION_SOCKET: socketPath } : {}),
        },
        // stdin is held open and never written: the worker exits when it closes, which is when
        // this process ends, even by SIGKILL (a worker must not outlive its server).
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    this.child.stdin?.on("error", () => {});
    this.cpu = new CpuBudget(this.child.pid, spec.cpuTimeMs);
    const log = (level: FunctionLogLine["level"], requestId: string | null, message: string) =>
      spec.onLog({ function: this.name, level, requestId, message });

    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        const outOfMemory = this.recentStderr.some((line) => /out of memory/i.test(line));
        this.exit = { code, signal, outOfMemory };
        this.cpu.stop();
        this.child.stdin?.destroy();
        void this.connections?.destroy();
        rmSync(this.tempDir, { recursive: true, force: true });
        resolve(this.exit);
      });
      // A binary that cannot be run at all (missing, not executable) ends here, not in "exit".
      this.child.once("error", (error) => {
        this.recentStderr.push(error.message);
        this.exit = { code: null, signal: null, outOfMemory: false };
        rmSync(this.tempDir, { recursive: true, force: true });
        resolve(this.exit);
      });
    });

    const booted = new Promise<WorkerAddress>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new BootError(`${this.name} did not start within ${spec.bootTimeoutMs} ms`));
        this.kill();
      }, spec.bootTimeoutMs);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        const detail = this.recentStderr.slice(-5).join("\n") || `exit code ${exit.code ?? exit.signal}`;
        reject(new BootError(`${this.name} failed to boot: ${detail}`));
      });
      createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        const record = parseRecord(line);
        if (record?.t === "ready" && record.nonce === nonce) {
          const address = addressOf(record, useSocket ? socketPath : null);
          if (address === null) return;
          clearTimeout(timer);
          this.address = address;
          resolve(address);
        } else if (record?.t === "log" && typeof record.msg === "string") {
          log(levelOf(record.level), typeof record.rid === "string" ? record.rid : null, record.msg);
        } else {
          log("info", null, line);
        }
      });
    });
    this.ready = booted;
    // Callers that never await `ready` (a retired worker) must not cause an unhandled rejection.
    this.ready.catch(() => {});

    createInterface({ input: this.child.stderr as NodeJS.ReadableStream }).on("line", (colored) => {
      const line = stripVTControlCharacters(colored);
      this.recentStderr.push(line);
      if (this.recentStderr.length > STDERR_KEPT) this.recentStderr.shift();
      log("error", null, line);
    });
  }

  /**
   * Keep-alive connections to the worker; only once `ready` has resolved. Up to 128 at once, so
   * that as many calls (streams, slow functions) run side by side; idle ones close after 30 s.
   */
  get pool(): Pool {
    if (this.connections === null) {
      const address = this.address;
      if (address === null) throw new Error(`${this.name} is not ready`);
      const Pool = loadPool();
      const options = { connections: 128, keepAliveTimeout: 30_000 };
      this.connections =
        "socketPath" in address
          ? new Pool("http://localhost", { ...options, socketPath: address.socketPath })
          : new Pool(`http://127.0.0.1:${address.port}`, options);
    }
    return this.connections;
  }

  /** Where the worker's HTTP server listens; only once `ready` has resolved. */
  get listenAddress(): WorkerAddress {
    if (this.address === null) throw new Error(`${this.name} is not ready`);
    return this.address;
  }

  /** How the process ended, or null while it runs. */
  get exitState(): WorkerExit | null {
    return this.exit;
  }

  /** Asks the worker to stop (background tasks get a short grace), then kills it. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exit) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the process at once (wall-clock limit, boot timeout). */
  kill(): void {
    if (!this.exit) this.child.kill("SIGKILL");
  }
}

/** The address in a worker's ready line: the socket it was given, or the port it picked. */
function addressOf(record: Record<string, unknown>, socketPath: string | null): WorkerAddress | null {
  if (socketPath !== null) return record.path === socketPath ? { socketPath } : null;
  return typeof record.port === "number" ? { port: record.port } : null;
}

function parseRecord(line: string): Record<string, unknown> | null {
  if (!line.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function levelOf(value: unknown): FunctionLogLine["level"] {
  return value === "debug" || value === "warn" || value === "error" ? value : "info";
}
