import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { testClient } from "../harness/server.js";
import { FUNCTIONS } from "./fixtures.js";

const ROOT = path.resolve(new URL("../..", import.meta.url).pathname);

/** Waits until `read()` matches, or fails after the timeout. */
async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("groundwork functions new / serve", () => {
  let project: TempProject;
  let database: TestDatabase;
  let serve: ChildProcess | null = null;
  let stdout = "";
  let stderr = "";
  let port: number;

  beforeAll(async () => {
    project = tempProject({ copyExample: true });
    project.write("supabase/functions/logs/index.ts", FUNCTIONS["logs/index.ts"] as string);
    database = await createTestDatabase("crm");
    port = await freePort();
  });
  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill("SIGTERM");
      await new Promise((resolve) => serve?.once("exit", resolve));
    }
    await database.drop();
    project.remove();
  });

  it("new creates the function, its deno.json and its config section", async () => {
    const created = await runCli(["functions", "new", "hello-world", "--workdir", project.dir]);
    expect(created.code).toBe(0);
    const dir = path.join(project.dir, "supabase", "functions", "hello-world");
    expect(readFileSync(path.join(dir, "index.ts"), "utf8")).toContain("Deno.serve(");
    expect(existsSync(path.join(dir, "deno.json"))).toBe(true);
    const config = readFileSync(path.join(project.dir, "supabase", "config.toml"), "utf8");
    expect(config).toContain(
      '[functions.hello-world]\nenabled = true\nverify_jwt = true\nimport_map = "./functions/hello-world/deno.json"',
    );
    expect((await runCli(["functions", "new", "hello-world", "--workdir", project.dir])).code).toBe(1);
    expect((await runCli(["functions", "new", "9bad name", "--workdir", project.dir])).code).toBe(2);
  });

  /** `groundwork functions serve --no-verify-jwt` of the project on a port. */
  const startServe = (onPort: number): ChildProcess =>
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "src/cli/main.ts"),
        "functions",
        "serve",
        "--no-verify-jwt",
        "--workdir",
        project.dir,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NO_COLOR: "1",
          DATABASE_URL: database.adminUrl,
          GROUNDWORK_AUTHENTICATOR_URL: database.apiUrl,
          GROUNDWORK_API_PORT: String(onPort),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );

  it("serve runs the stack and prints each function line with its request id", async () => {
    serve = startServe(port);
    serve.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    serve.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(() => stdout + stderr, /Using deno \d+\.\d+/);
    expect(stdout).toContain(`Serving functions on http://127.0.0.1:${port}/functions/v1/<function-name>`);
    expect(stdout).toContain(`/functions/v1/hello-world`);

    const url = `http://127.0.0.1:${port}`;
    // --no-verify-jwt: no Authorization needed.
    const response = await fetch(`${url}/functions/v1/logs?tag=first`, {
      signal: AbortSignal.timeout(20_000),
    });
    expect(await response.text()).toBe("logged");
    const requestId = response.headers.get("x-request-id") as string;
    await waitFor(() => stderr, new RegExp(`\\[logs\\] ${requestId} handling first — ünïcødé 日本 🎉`));
    await waitFor(() => stderr, new RegExp(`\\[logs\\] ${requestId} ERROR an error line`));

    // The function `functions new` made answers through supabase-js.
    const publishable = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
    const { data, error } = await testClient(url, publishable).functions.invoke("hello-world", {
      body: { name: "Functions" },
    });
    expect(error).toBeNull();
    expect(data).toEqual({ message: "Hello Functions!" });
    await waitFor(() => stderr, /\[hello-world\] Hello from Functions!/);
  });

  it("stops on SIGTERM", async () => {
    const exited = new Promise((resolve) => serve?.once("exit", resolve));
    expect(serve?.exitCode).toBeNull();
    serve?.kill("SIGTERM");
    const code = await exited;
    expect(code).toBe(0);
    expect(existsSync(path.join(project.dir, ".groundwork", "state.json"))).toBe(false);
  });

  it("a worker ends with its server, even when the server is killed", async () => {
    const killedPort = await freePort();
    const killed = startServe(killedPort);
    let output = "";
    killed.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(() => output, /Serving functions on/);
    const response = await fetch(`http://127.0.0.1:${killedPort}/functions/v1/logs?tag=kill`, {
      signal: AbortSignal.timeout(20_000),
    });
    expect(await response.text()).toBe("logged");
    const workers = () =>
      execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(" run ") && line.includes(project.dir))
        .map((line) => line.trim().split(/\s+/))
        .filter(([, parent]) => parent === String(killed.pid))
        .map(([pid]) => pid as string);
    const pids = workers();
    expect(pids).toHaveLength(1);
    const exited = new Promise((resolve) => killed.once("exit", resolve));
    killed.kill("SIGKILL");
    await exited;
    const alive = () =>
      pids.filter((pid) => {
        try {
          process.kill(Number(pid), 0);
          return true;
        } catch {
          return false;
        }
      });
    await waitFor(() => (alive().length === 0 ? "gone" : ""), /gone/, 10_000);
  });
});
