/**
 * Start-up, idle memory and `db reset` figures for the foundation (issue: npm start ready in
 * <= 3 s on a fresh clone and <= 1 s after; stack idle memory <= 250 MB; db reset <= 2 s).
 *
 * Side by side in the same run: the bare embedded PostgreSQL start (no API, no schema), so the
 * difference is Groundwork's own start-up cost.
 *
 * Run: npm run build && npx tsx bench/startup.ts
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedCluster } from "../src/db/cluster.js";
import { freePort } from "../test/harness/free-port.js";

const ROOT = path.resolve(new URL("..", import.meta.url).pathname);
const EXAMPLE = path.join(ROOT, "examples", "crm");
const LATER_RUNS = 5;

interface Started {
  readonly child: ChildProcess;
  readonly readyMs: number;
}

/** Runs `npm start -- --workdir DIR` and resolves when the API answers /health. */
async function npmStart(dir: string, env: NodeJS.ProcessEnv, apiPort: number): Promise<Started> {
  const began = performance.now();
  const child = spawn("npm", ["start", "--silent", "--", "--workdir", dir], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early: ${stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${apiPort}/health`);
      if (response.ok) return { child, readyMs: performance.now() - began };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-(child.pid as number), "SIGTERM");
  await exited;
  // The stack shuts PostgreSQL down after the API; wait for its pid file to go.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Resident and proportional memory (MB) of a process tree: the node process and PostgreSQL's processes. */
function memoryOfStack(dataDir: string): { rss: number; pss: number; processes: number } {
  const postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const pids = new Set<number>([postmaster]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (
        ppid === postmaster ||
        (cmd.includes("main.js") && cmd.includes(path.dirname(dataDir).replace("/.groundwork", "")))
      ) {
        pids.add(Number(entry));
      }
    } catch {
      // process ended
    }
  }
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  }
  return { rss: rss / 1024, pss: pss / 1024, processes: pids.size };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-"));
  chmodSync(workspace, 0o755);
  const dir = path.join(workspace, "crm");
  cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes(".groundwork") });
  const apiPort = await freePort();
  const dbPort = await freePort();
  const env = {
    ...process.env,
    GROUNDWORK_API_PORT: String(apiPort),
    GROUNDWORK_DB_PORT: String(dbPort),
    GROUNDWORK_LOG_LEVEL: "warn",
  };
  try {
    // Baseline: the bare embedded PostgreSQL, first start (initdb) and later starts.
    const bareDir = path.join(workspace, "bare", "db");
    let began = performance.now();
    let bare = await startEmbeddedCluster({ dataDir: bareDir, port: dbPort, portSetting: "-" });
    const bareFirst = performance.now() - began;
    await bare.stop();
    const bareLater: number[] = [];
    for (let i = 0; i < LATER_RUNS; i++) {
      began = performance.now();
      bare = await startEmbeddedCluster({ dataDir: bareDir, port: dbPort, portSetting: "-" });
      bareLater.push(performance.now() - began);
      await bare.stop();
    }

    const first = await npmStart(dir, env, apiPort);
    await stop(first.child);
    const later: number[] = [];
    let memory = { rss: 0, pss: 0, processes: 0 };
    for (let i = 0; i < LATER_RUNS; i++) {
      const run = await npmStart(dir, env, apiPort);
      later.push(run.readyMs);
      if (i === LATER_RUNS - 1) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        memory = memoryOfStack(path.join(dir, ".groundwork", "db"));
        const resets: number[] = [];
        for (let r = 0; r < 5; r++) {
          began = performance.now();
          execFileSync(
            process.execPath,
            [path.join(ROOT, "dist/cli/main.js"), "db", "reset", "--workdir", dir],
            {
              env,
              stdio: "ignore",
            },
          );
          resets.push(performance.now() - began);
        }
        console.log(
          `db reset (CLI, example project, stack running): median ${median(resets).toFixed(0)} ms, runs ${resets.map((t) => t.toFixed(0)).join(", ")}`,
        );
      }
      await stop(run.child);
    }
    console.log(
      `npm start, first run (initdb, platform schema, migrations, seed): ${first.readyMs.toFixed(0)} ms`,
    );
    console.log(
      `npm start, later runs: median ${median(later).toFixed(0)} ms (runs ${later.map((t) => t.toFixed(0)).join(", ")})`,
    );
    console.log(
      `bare embedded PostgreSQL, first start (initdb): ${bareFirst.toFixed(0)} ms; later: median ${median(bareLater).toFixed(0)} ms`,
    );
    console.log(
      `Groundwork's own share of a later start: ${(median(later) - median(bareLater)).toFixed(0)} ms`,
    );
    console.log(
      `idle memory of the whole stack (${memory.processes} processes): RSS sum ${memory.rss.toFixed(0)} MB, PSS ${memory.pss.toFixed(0)} MB`,
    );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

await main();
