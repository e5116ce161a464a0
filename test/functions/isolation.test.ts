import { execFileSync } from "node:child_process";
import { FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { functionsProject } from "./fixtures.js";

/** Deno processes started for this project's functions (their arguments name its folder). */
function workerProcesses(project: TempProject): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.includes(" run ") && line.includes(project.dir));
}

async function errorOf(client: SupabaseClient, name: string, path = name) {
  const { data, error } = await client.functions.invoke(path, { method: "GET" });
  expect(data).toBeNull();
  expect(error).toBeInstanceOf(FunctionsHttpError);
  const response = (error as FunctionsHttpError).context as Response;
  return { status: response.status, body: (await response.json()) as { code: string; message: string } };
}

// A function that throws, loops, runs out of memory, fails to load or upgrades a plain request gets an error
// response of its own and leaves the other functions alone; edits reload; stop ends every worker.
describe("function isolation, limits and reload", () => {
  let project: TempProject;
  let server: TestServer;
  let anon: SupabaseClient;

  beforeAll(async () => {
    project = functionsProject();
    server = await startTestServer({ projectDir: project.dir });
    anon = server.client();
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  it("starts no worker before the first request", () => {
    expect(workerProcesses(project)).toEqual([]);
  });

  it("a throw gives 500 WORKER_ERROR and the worker keeps serving", async () => {
    expect(await errorOf(anon, "throws")).toEqual({
      status: 500,
      body: { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" },
    });
    expect((await errorOf(anon, "throws")).status).toBe(500);
    const { data } = await anon.functions.invoke("mirror", { method: "GET" });
    expect(data.method).toBe("GET");
  });

  it("a module that does not load gives 503 BOOT_ERROR", async () => {
    expect(await errorOf(anon, "bad-syntax")).toEqual({
      status: 503,
      body: { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" },
    });
  });

  it("Deno.upgradeWebSocket on a plain request gives an error, never a hung request", async () => {
    const { status } = await errorOf(anon, "hijack");
    expect(status).toBe(500);
  });

  it("an infinite loop is stopped at the wall clock with 546; other functions answer meanwhile", async () => {
    const { data } = await anon.functions.invoke("loop", { method: "GET" });
    expect(data).toBe("alive");
    const started = Date.now();
    const spinning = errorOf(anon, "loop", "loop?spin=1");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = await anon.functions.invoke("mirror", { method: "GET" });
    expect(other.data.method).toBe("GET");
    expect(await spinning).toEqual({
      status: 546,
      body: {
        code: "WORKER_LIMIT",
        message: "Worker failed to respond due to a resource limit (please check logs)",
      },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
    // The next call gets a fresh worker.
    expect((await anon.functions.invoke("loop", { method: "GET" })).data).toBe("alive");
  });

  it("a function past its memory limit gives 546 WORKER_LIMIT", async () => {
    const { status, body } = await errorOf(anon, "memory");
    expect(status).toBe(546);
    expect(body.code).toBe("WORKER_LIMIT");
  });

  it("reloads a function when its files change", async () => {
    project.write("supabase/functions/reloaded/index.ts", `Deno.serve(() => new Response("first"));`);
    expect((await anon.functions.invoke("reloaded", { method: "GET" })).data).toBe("first");
    project.write("supabase/functions/reloaded/index.ts", `Deno.serve(() => new Response("second ✓"));`);
    const deadline = Date.now() + 10_000;
    let seen = "first";
    while (seen === "first" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = (await anon.functions.invoke("reloaded", { method: "GET" })).data;
    }
    expect(seen).toBe("second ✓");
  });

  it("reloads every function when _shared changes", async () => {
    project.write("supabase/functions/_shared/word.ts", `export const word = "one";`);
    project.write(
      "supabase/functions/shared-user/index.ts",
      `import { word } from "../_shared/word.ts";\nDeno.serve(() => new Response(word));`,
    );
    expect((await anon.functions.invoke("shared-user", { method: "GET" })).data).toBe("one");
    project.write("supabase/functions/_shared/word.ts", `export const word = "two";`);
    const deadline = Date.now() + 10_000;
    let seen = "one";
    while (seen === "one" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = (await anon.functions.invoke("shared-user", { method: "GET" })).data;
    }
    expect(seen).toBe("two");
  });

  it("stopping the server ends every worker", async () => {
    expect(workerProcesses(project).length).toBeGreaterThan(0);
    await server.app.close();
    const deadline = Date.now() + 10_000;
    while (workerProcesses(project).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(workerProcesses(project)).toEqual([]);
  });
});
