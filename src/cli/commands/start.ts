import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../../config/index.js";
import { LOG_FILE_ENV, openLogFile } from "../../stack/log-file.js";
import type { StartStep } from "../../stack/stack.js";
import { readRunningState, type StackState } from "../../stack/state-file.js";
import { parseCommandArgs } from "../args.js";
import { bannerGroups, printGroups } from "../banner.js";
import { note, print } from "../output.js";
import { loadProjectConfig } from "../project.js";

export const startHelp = `Start the local stack: PostgreSQL (embedded, or DATABASE_URL) and the API on one port.

Usage: groundwork start [--detach] [--workdir DIR]

The first start creates the cluster in .groundwork/ and applies supabase/migrations and
supabase/seed.sql; later starts keep the data (use groundwork db reset to rebuild it).

Options:
  --detach        start in the background and return once the API is ready
  --workdir DIR   the project folder (default: the current folder)
  -h, --help      show this help`;

const STEP_LABELS: Record<StartStep, string> = {
  database: "Starting PostgreSQL",
  platform: "Installing the platform schema",
  migrations: "Applying migrations",
  seed: "Seeding data",
  server: "Starting the API",
};

export async function startCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { detach: { type: "boolean" } });
  if (values.help) {
    print(startHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const running = readRunningState(config.stateDir);
  if (running) {
    note(`Groundwork is already running for this project (pid ${running.pid}) at ${running.apiUrl}.`);
    note("Run `groundwork status` to see its URLs and keys, or `groundwork stop` to stop it.");
    return 1;
  }
  if (values.detach) return startDetached(config, argv);

  const started = Date.now();
  // Imported here, not at the top: `start --detach` only spawns the server, and loading every
  // service's code into that short-lived parent as well would add to each detached start.
  const { startStack } = await import("../../stack/stack.js");
  // Started by `start --detach`: log lines go to the rotating .groundwork/server.log.
  const logFile = process.env[LOG_FILE_ENV];
  const stack = await startStack(config, {
    logDestination: logFile ? openLogFile(logFile) : undefined,
    writeStateFile: true,
    onStep: (step, detail) => {
      if (process.stderr.isTTY) note(`${STEP_LABELS[step]}${detail ? ` (${detail})` : ""}…`);
    },
    log: note,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    note(`\nReceived ${signal}, stopping…`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        note(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  printBanner(config, {
    pid: process.pid,
    apiUrl: stack.apiUrl,
    dbUrl: stack.dbUrl,
    embedded: stack.embedded,
    startedAt: "",
    studioUrl: null,
    mailUrl: stack.mailUrl,
    notices: [],
  });
  note(`Ready in ${Date.now() - started} ms. Press Ctrl-C to stop.`);
  // Keep running until a signal arrives.
  return new Promise<number>(() => {});
}

/** Prints the URLs and keys the way `supabase start` does. */
export function printBanner(config: Config, state: StackState): void {
  print("Started Groundwork local development setup.");
  print();
  printGroups(bannerGroups(config, state));
  if (!config.jwt.isWellKnownApiKeys)
    print("Secrets are masked; `groundwork status -o env` prints them in full.");
}

async function startDetached(config: Config, argv: readonly string[]): Promise<number> {
  mkdirSync(config.stateDir, { recursive: true });
  const logPath = path.join(config.stateDir, "server.log");
  const log = openSync(logPath, "a");
  // The entry script this process runs (dist/cli/main.js, or src/cli/main.ts under tsx).
  const main = process.argv[1] ?? fileURLToPath(new URL("../main.js", import.meta.url));
  const args = [...process.execArgv, main, "start", ...argv.filter((arg) => arg !== "--detach")];
  if (!argv.includes("--workdir")) args.push("--workdir", config.projectDir);
  const child = spawn(process.execPath, args, {
    detached: true,
    // Start-up notes and a crash's last words go to the file as written; the server's own log
    // lines go through a size-capped, rotating stream on the same file (LOG_FILE_ENV).
    stdio: ["ignore", log, log],
    env: { ...process.env, [LOG_FILE_ENV]: logPath },
  });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const state = readRunningState(config.stateDir);
    if (state && state.pid === child.pid) {
      for (const notice of state.notices ?? []) note(notice);
      printBanner(config, state);
      const shown = path.relative(process.cwd(), logPath);
      note(
        `Running in the background (pid ${state.pid}); logs in ${shown.startsWith("..") ? logPath : shown}.`,
      );
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  note(`Groundwork did not start. The end of ${logPath}:`);
  note(tail(logPath, 20));
  if (child.exitCode === null) child.kill("SIGTERM");
  return 1;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
