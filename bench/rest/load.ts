/**
 * The load generator of the data API benchmarks: autocannon in a second process (so the client
 * does not compete with the server for this process's event loop), with a 3 s warm-up.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Requests per second and latency percentiles (ms) of one run. */
export interface Figures {
  rps: number;
  /** Requests answered in the measured run. */
  requests: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** Warm up for 3 s first, in the same autocannon process (default true). */
  readonly warmup?: boolean;
}

/** Runs autocannon against `url` and returns its figures; non-2xx answers count as errors. */
export async function autocannon(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  options: LoadOptions,
): Promise<Figures> {
  const args = [
    path.join(ROOT, "node_modules/autocannon/autocannon.js"),
    "-c",
    String(options.connections),
    "-d",
    String(options.seconds),
    "-j",
  ];
  args.push("-m", method);
  if (options.warmup !== false) args.push("--warmup", "[", "-c", String(options.connections), "-d", "3", "]");
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  if (body !== undefined) args.push("-b", body);
  args.push(url);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 });
  // With --warmup autocannon prints the warmup's report first; the last line is the run's.
  const report = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    rps: report.requests.average,
    requests: report.requests.total,
    p50: report.latency.p50,
    p99: report.latency.p99,
    errors: report.errors + report.non2xx,
  };
}
