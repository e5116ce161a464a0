import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(new URL("..", import.meta.url).pathname);
const run = promisify(execFile);

/**
 * Runs `groundwork ARGS` from source as a user would (a new process through tsx) and returns its
 * wall time in ms; throws if it exits non-zero. Asynchronous on purpose: the benchmark's own
 * embedded cluster logs through pipes this process must keep reading while the command runs.
 */
export async function timeCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const started = performance.now();
  await run(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return performance.now() - started;
}
