import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(new URL("../..", import.meta.url).pathname);

/** A server the benchmark started in a child process of its own. */
export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  /** Asks the child to collect garbage (it must handle SIGUSR2), then waits a moment. */
  collect(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `script` (relative to the repository) with tsx and waits for the `{"url": …}` line it prints. */
export function startChild(script: string, env: Record<string, string> = {}): Promise<ChildServer> {
  // --expose-gc: the idle-memory figure is read after a collection the benchmark asks for (SIGUSR2).
  const child: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", path.join(ROOT, script)],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (!line) return;
      resolve({
        url: (JSON.parse(line) as { url: string }).url,
        pid: child.pid ?? 0,
        async collect() {
          child.kill("SIGUSR2");
          await new Promise((r) => setTimeout(r, 1_000));
        },
        async stop() {
          child.kill("SIGTERM");
          const forced = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(forced);
        },
      });
    });
    child.once("exit", (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

/** The API server on `adminUrl` in a child process (the realtime tests' second-process fixture). */
export function startApiServer(adminUrl: string, apiUrl: string): Promise<ChildServer> {
  return startChild("test/realtime/fixtures/api-process.ts", {
    TEST_DATABASE_URL: adminUrl,
    TEST_AUTHENTICATOR_URL: apiUrl,
    TEST_PORT: "0",
  });
}
