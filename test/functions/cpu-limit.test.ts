import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";

const FUNCTIONS: Record<string, string> = {
  // Burns CPU until stopped with ?spin, answers at once otherwise.
  "spin/index.ts": `Deno.serve((req) => {
  if (new URL(req.url).searchParams.has("spin")) while (true) {}
  return new Response("cool 🧊");
});
`,
  // Waits (no CPU) longer than the CPU time limit.
  "rest/index.ts": `Deno.serve(async () => {
  await new Promise((resolve) => setTimeout(resolve, 2500));
  return new Response("rested — ça va");
});
`,
};

// The per-request CPU time limit (`[functions] cpu_time_limit`), with a wall clock far above it.
describe("CPU time limit of a function's request", () => {
  let project: TempProject;
  let server: TestServer;

  beforeAll(async () => {
    project = tempProject({ copyExample: true });
    for (const [file, text] of Object.entries(FUNCTIONS)) project.write(`supabase/functions/${file}`, text);
    const settings = readFileSync(path.join(project.dir, "groundwork.toml"), "utf8");
    project.write(
      "groundwork.toml",
      `${settings}\n[functions]\ncpu_time_limit = 1\nwall_clock_limit = 150\n`,
    );
    server = await startTestServer({ projectDir: project.dir });
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  const call = (path: string) =>
    fetch(`${server.url}/functions/v1/${path}`, {
      headers: { authorization: `Bearer ${server.anonKey}` },
      signal: AbortSignal.timeout(140_000),
    });

  it("stops a request that spins past its CPU time with 546, long before the wall clock", {
    timeout: 150_000,
  }, async () => {
    expect(await (await call("spin")).text()).toBe("cool 🧊");
    const started = Date.now();
    const response = await call("spin?spin=1");
    expect(response.status).toBe(546);
    expect(await response.json()).toEqual({
      code: "WORKER_LIMIT",
      message: "Worker failed to respond due to a resource limit (please check logs)",
    });
    // 1 s of CPU, read every 100 ms (longer in wall time on a busy machine); the wall clock
    // would take 150 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(120_000);
    // The next call gets a fresh worker.
    expect(await (await call("spin")).text()).toBe("cool 🧊");
  });

  it("does not count time spent waiting", async () => {
    const waits = await Promise.all([call("rest"), call("rest")]);
    for (const response of waits) {
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("rested — ça va");
    }
  });
});
