import { execFile } from "node:child_process";
import path from "node:path";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const ROOT = path.resolve(new URL("../..", import.meta.url).pathname);

/** Runs `groundwork ARGS` from source (through tsx) as a child process, as a user would run it. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: "1" }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
