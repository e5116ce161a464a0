import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

const SCRIPT = path.join(import.meta.dirname, "fixtures", "jobs-process.ts");
const LEASE_MARGIN_MS = 1500;

/** Starts a job runner in its own OS process, as a second API process would run one. */
function startProcess(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    env: { ...process.env, JOBS_DATABASE_URL: url, JOBS_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("job process did not start in 20 s")), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => reject(new Error(`job process exited with ${code}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// Two OS processes deliver from one database: each request reaches the receiver once, and a
// process killed mid-delivery loses nothing.
describe("delivery across processes", () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let processes: ChildProcess[] = [];
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    database.query<R>(text, params).then((result) => result.rows);

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    receiver = await startReceiver();
    processes = await Promise.all([startProcess(database.adminUrl), startProcess(database.adminUrl)]);
  });
  afterAll(async () => {
    await Promise.all(processes.map(stopProcess));
    await receiver?.close();
    await database?.drop();
  });

  it("sends each of 300 requests exactly once with two processes claiming", async () => {
    await sql("select net.http_post($1, jsonb_build_object('i', i)) from generate_series(1, 300) as i", [
      `${receiver.url}/once`,
    ]);
    await receiver.waitFor(300, "/once", 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seen = receiver.received
      .filter((r) => r.path === "/once")
      .map((r) => JSON.parse(r.body).i as number);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
    const [row] = await sql<{ n: number; ok: number }>(
      "select count(*)::int as n, count(*) filter (where status_code = 200)::int as ok from net._http_response",
    );
    expect(row).toEqual({ n: 300, ok: 300 });
  });

  it("a process killed (SIGKILL) during a send: the request is sent again once its lease ends, not before", async () => {
    receiver.answer("/killed", "hang", { status: 200, body: "second time lucky" });
    const [queued] = await sql<{ id: string }>(
      "select net.http_post($1, '{\"важно\": true}'::jsonb, timeout_milliseconds => 2000) as id",
      [`${receiver.url}/killed`],
    );
    const [first] = await receiver.waitFor(1, "/killed");
    const [owner] = await sql<{ locked_by: string }>(
      "select locked_by from net.http_request_queue where id = $1",
      [queued?.id],
    );
    const pid = Number(owner?.locked_by.split(":")[1]);
    const victim = processes.find((child) => child.pid === pid);
    expect(victim).toBeDefined();
    victim?.kill("SIGKILL");
    const attempts = await receiver.waitFor(2, "/killed", 15_000);
    // The lease (timeout + margin) held: no second send while the first could still be running.
    expect((attempts[1]?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2000 + LEASE_MARGIN_MS - 200);
    const response = await eventually(async () => {
      const rows = await sql<{ status_code: number; content: string }>(
        "select status_code, content from net._http_response where id = $1",
        [queued?.id],
      );
      return rows[0];
    });
    expect(response).toEqual({ status_code: 200, content: "second time lucky" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.filter((r) => r.path === "/killed")).toHaveLength(2);
  });
});
