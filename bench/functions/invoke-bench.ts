/**
 * Edge functions benchmark (issue 16 figures). A hello function (`Deno.serve(() => new
 * Response("Hello World"))`) invoked:
 *   - through `/functions/v1/hello` (verify_jwt on, the anon key), with the API server in this
 *     process and autocannon in a second one;
 *   - side by side, in the same run, served by a bare `deno run` of the same Deno.serve on its own
 *     port, at the same concurrency;
 *   - and the API server's `/health`, the floor of any route through the server's plugins.
 * The two alternate in short rounds (the machine is shared: load moves between rounds) and the
 * medians are reported, with the CPU time each process spent per request (Linux: /proc), which is
 * what decides how far the relayed figure can go on a given number of cores. Then cold starts: the first request after the server starts (a new
 * server each round), and the first request that sees an edit of the function (from the write).
 *
 *   npx tsx bench/functions/invoke-bench.ts [seconds per round] [connections] [rounds]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { denoExecutable } from "../../src/services/functions/index.js";
import { freePort } from "../../test/harness/free-port.js";
import { tempProject } from "../../test/harness/project.js";
import { startExampleDatabase } from "../example-database.js";
import { autocannon, type Figures } from "../rest/load.js";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 32);
const ROUNDS = Number(process.argv[4] ?? 3);
const COLD_ROUNDS = 5;
const HELLO = `Deno.serve(() => new Response("Hello World"));\n`;

const example = await startExampleDatabase();
const project = tempProject({ copyExample: true });
const functionFile = project.write("supabase/functions/hello/index.ts", HELLO);
const bareDir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bare-deno-"));
let bare: ChildProcess | null = null;
try {
  const adminUrl = example.adminUrl;
  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(project.dir, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: "0",
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: 10 });
  const headers = { apikey: config.jwt.anonKey, authorization: `Bearer ${config.jwt.anonKey}` };
  const serve = async (): Promise<{ app: FastifyInstance; url: string }> => {
    const app = await buildServer({ config, db, logLevel: "silent" });
    return { app, url: await listen(app, config) };
  };
  const invoke = async (url: string) => {
    const response = await fetch(`${url}/functions/v1/hello`, {
      headers,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`hello answered ${response.status}: ${text}`);
    return text;
  };

  // Cold start after start: a new server each round, timed from listening to the first answer.
  const afterStart: number[] = [];
  for (let round = 0; round < COLD_ROUNDS; round++) {
    const { app, url } = await serve();
    const started = performance.now();
    await invoke(url);
    afterStart.push(performance.now() - started);
    await app.close();
  }

  // The baseline: the same Deno.serve run bare by deno on its own port.
  const port = await freePort();
  const bareFile = path.join(bareDir, "hello.ts");
  writeFileSync(
    bareFile,
    `Deno.serve({ hostname: "127.0.0.1", port: ${port}, onListen() { console.log("ready"); } }, () => new Response("Hello World"));\n`,
  );
  bare = spawn(denoExecutable(), ["run", "--allow-net", "--no-config", bareFile], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => bare?.stdout?.once("data", () => resolve()));

  const { app, url } = await serve();
  await invoke(url);
  const relayedRounds: Figures[] = [];
  const bareRounds: Figures[] = [];
  const healthRounds: Figures[] = [];
  // CPU µs per request of each process, per round: [server, worker] relayed, bare deno, /health.
  const cpu = {
    server: [] as number[],
    worker: [] as number[],
    bare: [] as number[],
    health: [] as number[],
  };
  const worker = denoChildren().find((pid) => pid !== String(bare?.pid));
  /** One load run, with the CPU time per request of this process and of one child (its pid). */
  const measured = async (
    target: string,
    requestHeaders: Record<string, string>,
    load: { connections: number; seconds: number; warmup: boolean },
    childPid?: string,
  ) => {
    // The warm-up runs on its own, so that its requests are not in the CPU time per request.
    if (load.warmup)
      await autocannon(target, "GET", requestHeaders, undefined, { ...load, seconds: 3, warmup: false });
    const server = process.cpuUsage();
    const child = childPid === undefined ? null : cpuMicros(childPid);
    const figures = await autocannon(target, "GET", requestHeaders, undefined, { ...load, warmup: false });
    const used = process.cpuUsage(server);
    const childEnd = childPid === undefined ? null : cpuMicros(childPid);
    return {
      figures,
      server: (used.user + used.system) / figures.requests,
      child: child === null || childEnd === null ? Number.NaN : (childEnd - child) / figures.requests,
    };
  };
  for (let round = 0; round < ROUNDS; round++) {
    const load = { connections: CONNECTIONS, seconds: SECONDS, warmup: round === 0 };
    const relayedRun = await measured(`${url}/functions/v1/hello`, headers, load, worker);
    relayedRounds.push(relayedRun.figures);
    cpu.server.push(relayedRun.server);
    cpu.worker.push(relayedRun.child);
    const bareRun = await measured(`http://127.0.0.1:${port}/`, {}, load, String(bare.pid));
    bareRounds.push(bareRun.figures);
    cpu.bare.push(bareRun.child);
    const healthRun = await measured(`${url}/health`, {}, load);
    healthRounds.push(healthRun.figures);
    cpu.health.push(healthRun.server);
  }
  const relayed = medians(relayedRounds);
  const direct = medians(bareRounds);
  const health = medians(healthRounds);

  // Cold start after an edit: from the write to the first answer with the new text.
  const afterEdit: number[] = [];
  for (let round = 0; round < COLD_ROUNDS; round++) {
    const expected = `Hello edit ${round}`;
    const written = performance.now();
    writeFileSync(functionFile, `Deno.serve(() => new Response(${JSON.stringify(expected)}));\n`);
    for (;;) {
      if ((await invoke(url)) === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    afterEdit.push(performance.now() - written);
  }
  await app.close();
  await db.close();

  const f = (x: number, w: number) => x.toFixed(x >= 100 ? 0 : 2).padStart(w);
  const row = (name: string, figures: Figures) =>
    console.log(
      `${name.padEnd(34)}| ${f(figures.rps, 9)} ${f(figures.p50, 7)} ${f(figures.p99, 7)}${figures.errors > 0 ? `  (errors: ${figures.errors})` : ""}`,
    );
  console.log(
    `\nFunctions benchmark: hello, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS}s, medians, ${os.cpus().length} CPUs\n`,
  );
  console.log("path                              |     req/s  p50 ms  p99 ms");
  row("/functions/v1/hello (verify_jwt)", relayed);
  row("bare deno run Deno.serve", direct);
  // The API server's own floor: a route that does nothing, through the same plugins.
  row("API server GET /health", health);
  console.log(`relayed / bare: ${((100 * relayed.rps) / direct.rps).toFixed(0)}% of req/s\n`);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  console.log(
    `CPU µs per request (medians; the API server's figure includes this bench's own small share):\n` +
      `  relayed: API server ${median(cpu.server).toFixed(0)} + worker ${median(cpu.worker).toFixed(0)}\n` +
      `  bare deno: ${median(cpu.bare).toFixed(0)}\n` +
      `  /health: API server ${median(cpu.health).toFixed(0)}\n`,
  );
  const ms = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `median ${f(sorted[Math.floor(sorted.length / 2)] ?? 0, 4)} ms, min ${f(sorted[0] ?? 0, 4)}, max ${f(sorted.at(-1) ?? 0, 4)}  (${values.map((v) => v.toFixed(0)).join(", ")})`;
  };
  console.log(`cold start, first request after start: ${ms(afterStart)}`);
  console.log(`cold start, first request after edit:  ${ms(afterEdit)}`);
} finally {
  bare?.kill();
  rmSync(bareDir, { recursive: true, force: true });
  project.remove();
  await example.stop();
}

/** Deno processes started by this process (the bare server and the function's worker). */
function denoChildren(): string[] {
  if (process.platform !== "linux") return [];
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (
          fields[1] === String(process.pid) && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "deno"
        );
      } catch {
        return false;
      }
    });
}

/** A process's CPU time so far in µs (user + system; Linux counts in 10 ms ticks), or null. */
function cpuMicros(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

function medians(rounds: readonly Figures[]): Figures {
  const median = (pick: (figures: Figures) => number) => {
    const sorted = rounds.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  return {
    rps: median((r) => r.rps),
    requests: median((r) => r.requests),
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}
