import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import type { Config } from "../../config/index.js";
import { packageFile } from "../../config/package-files.js";
import { denoExecutable } from "./deno-binary.js";
import { type FunctionFiles, findFunction, functionsDir } from "./function-files.js";
import { buildImportMap } from "./import-map.js";
import { BootError, type FunctionLogLine, FunctionWorker, loadPool } from "./worker.js";
import { functionEnv, type RuntimeAddresses } from "./worker-env.js";

/** Folder of the Deno-side files (bootstrap, shims); copied beside the compiled code by the build. */
const RUNTIME_DIR = packageFile("src", "services", "functions", "runtime");

/**
 * Edits closer together than this restart a function once (an editor's save is a burst of a few
 * events within milliseconds). It is part of the cold start after an edit, so it is kept short.
 */
const RELOAD_DEBOUNCE_MS = 30;

export interface WorkersOptions {
  readonly config: Config;
  /** The API's URL and the database URL, known once the server listens. */
  readonly addresses: () => RuntimeAddresses;
  readonly onLog: (line: FunctionLogLine) => void;
  /** Told of every boot: how long it took and whether the function came up. */
  readonly onBoot?: (name: string, seconds: number, ok: boolean) => void;
}

/**
 * The supervisor of the function workers: one Deno process per function, started on its first
 * request (so starting the server costs nothing), stopped after `idle_timeout` without calls,
 * replaced after it exits or is killed, and restarted when the function's files, `_shared/`, the
 * env file or the shared import map change.
 */
export class FunctionWorkers {
  private readonly running = new Map<string, FunctionWorker>();
  private readonly starting = new Map<string, FunctionWorker>();
  private readonly retired = new Set<FunctionWorker>();
  private readonly reloads = new Map<string, NodeJS.Timeout>();
  private readonly idle = new Map<FunctionWorker, NodeJS.Timeout>();
  private watcher: FSWatcher | null = null;
  private denoPath: string | null = null;
  private closed = false;

  constructor(private readonly options: WorkersOptions) {}

  /**
   * The files of a function whose worker is running: a request to it needs no look at the disk
   * (an edit or a removal restarts or retires the worker through the watcher).
   */
  runningFiles(name: string): FunctionFiles | null {
    return this.running.get(name)?.files ?? null;
  }

  /** A ready worker for the function, started if needed. Counts the request as in flight. */
  async acquire(files: FunctionFiles): Promise<FunctionWorker> {
    // A request still under way when the server closes must not start a worker nobody stops.
    if (this.closed) throw new BootError(`${files.name} was not started: the server is stopping`);
    const worker = this.running.get(files.name) ?? this.starting.get(files.name) ?? this.start(files);
    worker.inFlight++;
    clearTimeout(this.idle.get(worker));
    try {
      await worker.ready;
    } catch (error) {
      worker.inFlight--;
      throw error;
    }
    return worker;
  }

  /** The request is done: a retired worker with nothing left in flight is stopped. */
  release(worker: FunctionWorker): void {
    worker.inFlight--;
    if (worker.inFlight > 0) return;
    if (this.retired.has(worker)) {
      void this.stopRetired(worker);
      return;
    }
    // An idle worker is stopped after a while, so functions called once do not hold memory; the
    // next call starts it again.
    clearTimeout(this.idle.get(worker));
    const timer = setTimeout(() => {
      this.idle.delete(worker);
      if (worker.inFlight > 0 || this.running.get(worker.name) !== worker) return;
      this.forget(worker);
      void worker.stop();
    }, this.options.config.edgeRuntime.idleTimeoutMs);
    timer.unref();
    this.idle.set(worker, timer);
  }

  /** A worker past its wall-clock limit: killed at once, and forgotten so the next call starts anew. */
  kill(worker: FunctionWorker): void {
    this.forget(worker);
    worker.kill();
  }

  /** Stops every worker and the file watcher (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    for (const timer of [...this.reloads.values(), ...this.idle.values()]) clearTimeout(timer);
    const all = new Set([...this.running.values(), ...this.starting.values(), ...this.retired]);
    this.running.clear();
    this.starting.clear();
    await Promise.all([...all].map((worker) => worker.stop()));
  }

  private start(files: FunctionFiles): FunctionWorker {
    const { config } = this.options;
    this.denoPath ??= denoExecutable();
    const root = functionsDir(config);
    const env = functionEnv(config, this.options.addresses(), (message) =>
      this.options.onLog({ function: files.name, level: "warn", requestId: null, message }),
    );
    const worker = new FunctionWorker({
      files,
      denoPath: this.denoPath,
      bootstrap: path.join(RUNTIME_DIR, "bootstrap.js"),
      importMap: buildImportMap(files, root, RUNTIME_DIR),
      env,
      readPaths: [path.join(root, "_shared"), RUNTIME_DIR, ...files.settings.staticFiles.map(staticRoot)],
      memoryLimitMb: config.edgeRuntime.memoryLimitMb,
      cpuTimeMs: config.edgeRuntime.cpuTimeMs,
      bootTimeoutMs: config.edgeRuntime.bootTimeoutMs,
      onLog: this.options.onLog,
    });
    this.starting.set(files.name, worker);
    // What the first worker needs besides its process (the HTTP client, the file watcher) is
    // prepared while that process boots, not before it is spawned: the first call's cold start is
    // then the boot alone.
    setImmediate(() => {
      loadPool();
      this.watchFiles();
    });
    const spawned = performance.now();
    const booted = (ok: boolean) =>
      this.options.onBoot?.(files.name, (performance.now() - spawned) / 1000, ok);
    worker.ready.then(
      () => {
        booted(true);
        if (this.starting.get(files.name) !== worker) return;
        this.starting.delete(files.name);
        this.running.set(files.name, worker);
      },
      () => {
        booted(false);
        this.forget(worker);
      },
    );
    void worker.exited.then(() => this.forget(worker));
    return worker;
  }

  private forget(worker: FunctionWorker): void {
    if (this.running.get(worker.name) === worker) this.running.delete(worker.name);
    if (this.starting.get(worker.name) === worker) this.starting.delete(worker.name);
    this.retired.delete(worker);
  }

  /** One recursive watch on `supabase/functions`, set up with the first worker. */
  private watchFiles(): void {
    if (this.watcher !== null) return;
    try {
      this.watcher = watch(functionsDir(this.options.config), { recursive: true }, (_event, file) => {
        if (file !== null) this.changed(file.toString());
      });
      this.watcher.on("error", () => {});
    } catch {
      // No functions folder to watch (functions reached through `entrypoint` elsewhere): no reload.
    }
  }

  private changed(file: string): void {
    const first = file.split(path.sep)[0] ?? "";
    const names = first.startsWith("_") || !file.includes(path.sep) ? [...this.running.keys()] : [first];
    for (const name of names) {
      clearTimeout(this.reloads.get(name));
      this.reloads.set(
        name,
        setTimeout(() => this.reload(name), RELOAD_DEBOUNCE_MS),
      );
    }
  }

  /** Hot reload: the old worker finishes its requests; a new one boots at once if it still exists. */
  private reload(name: string): void {
    this.reloads.delete(name);
    const old = this.running.get(name) ?? this.starting.get(name);
    if (old === undefined || this.closed) return;
    this.forget(old);
    this.retired.add(old);
    if (old.inFlight <= 0) void this.stopRetired(old);
    const files = findFunction(this.options.config, name);
    if (files !== null) this.start(files);
  }

  private async stopRetired(worker: FunctionWorker): Promise<void> {
    this.retired.delete(worker);
    await worker.stop();
  }
}

/** The folder part of a static_files glob before its first wildcard. */
function staticRoot(glob: string): string {
  const index = glob.search(/[*?[{]/);
  return index === -1 ? glob : path.dirname(glob.slice(0, index + 1));
}
