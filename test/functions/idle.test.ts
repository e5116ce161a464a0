import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";

function workerCount(project: TempProject): number {
  const out = execFileSync("ps", ["-eo", "args="], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.includes(" run ") && line.includes(project.dir)).length;
}

// A worker without calls for `idle_timeout` is stopped; the next call starts it again.
describe("idle function workers", () => {
  let project: TempProject;
  let server: TestServer;

  beforeAll(async () => {
    project = tempProject({ copyExample: true });
    project.write("supabase/functions/ping/index.ts", `Deno.serve(() => new Response("pong 🏓"));\n`);
    project.write("groundwork.toml", "[functions]\nidle_timeout = 1\n");
    server = await startTestServer({ projectDir: project.dir });
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  it("stops an idle worker and starts it again on the next call", async () => {
    const first = await server.client().functions.invoke("ping", { method: "GET" });
    expect(first.data).toBe("pong 🏓");
    expect(workerCount(project)).toBe(1);
    const deadline = Date.now() + 10_000;
    while (workerCount(project) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(workerCount(project)).toBe(0);
    const again = await server.client().functions.invoke("ping", { method: "GET" });
    expect(again.data).toBe("pong 🏓");
  });
});
