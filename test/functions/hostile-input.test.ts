import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { functionsProject } from "./fixtures.js";

/** Sends raw bytes and returns the status line's code (0 when the server closed without one). */
function rawRequest(url: string, text: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let answer = "";
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no answer within 10 s"));
    });
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) socket.end();
    });
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on("error", () => resolve(0));
  });
}

// Names, methods, headers and bodies a client may send to /functions/v1: clear 4xx answers or the
// function's own, never a 5xx from the relay and never a hung request.
describe("hostile input to /functions/v1", () => {
  let project: TempProject;
  let server: TestServer;
  let auth: Record<string, string>;

  beforeAll(async () => {
    project = functionsProject();
    server = await startTestServer({ projectDir: project.dir });
    auth = { authorization: `Bearer ${server.anonKey}`, apikey: server.anonKey };
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/functions/v1/${path}`, { ...init, signal: AbortSignal.timeout(20_000) });

  it("odd names are 404, never a worker", async () => {
    const names = [
      "",
      "_shared/cors.ts",
      "mirror%00",
      "%F0%9F%98%80",
      "日本語",
      "mirror..",
      "-dash",
      "a".repeat(5000),
      "mirror%2F..%2F..%2Fconfig.toml",
      "snoop%2Fdata.json",
    ];
    for (const name of names) {
      const response = await call(name, { headers: auth });
      expect(response.status, name).toBe(404);
    }
  });

  it("every method, odd headers and odd bodies reach the function or get a 4xx", async () => {
    const cases: RequestInit[] = [
      { method: "PROPFIND" },
      { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" },
      {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=x" },
        body: "--x\r\ngarbage",
      },
      { method: "POST", headers: { "content-type": "\u00e9\u00e8/\u00e0" }, body: "x" },
      {
        method: "PUT",
        headers: { "x-emoji": encodeURIComponent("🎉") },
        body: new Uint8Array([0, 255, 128]),
      },
      { method: "POST", headers: { "x-groundwork-request-id": "spoofed" }, body: "x" },
    ];
    for (const init of cases) {
      const response = await call("mirror/x?q=%ZZ&&=", init);
      expect(response.status, JSON.stringify(init)).toBeLessThan(500);
      await response.arrayBuffer();
    }
    // Expect: 100-continue (fetch will not send it) is not passed on; the call is answered.
    const expecting = await rawRequest(
      server.url,
      "POST /functions/v1/mirror HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
    );
    expect([100, 200]).toContain(expecting);
  });

  it("a function's own 500 is its answer; the relay's errors keep their shape", async () => {
    const bad = await call("hello", { method: "POST", headers: auth, body: "{not json" });
    // hello parses the body: its throw is the function's WORKER_ERROR, worded as Supabase's.
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({
      code: "WORKER_ERROR",
      message: "Function exited due to an error (please check logs)",
    });
  });

  it("bad tokens are 401s (431 for a header too large to read)", async () => {
    const tokens = [
      "Bearer",
      "Bearer ",
      "bearer x.y.z",
      "Bearer a.b",
      `Bearer ${"x".repeat(20_000)}`,
      "Bearer 🎉",
    ];
    for (const authorization of tokens) {
      const response = await call("hello", {
        method: "POST",
        headers: { authorization: encodeURI(authorization) },
      });
      expect(response.status, authorization.slice(0, 20)).toBe(authorization.length > 16_000 ? 431 : 401);
    }
  });

  it("oversize and lying bodies get 413 or 400, never a hang", async () => {
    const big = await call("upload", { method: "POST", headers: auth, body: new Uint8Array(1_100_000) });
    expect(big.status).toBe(413);
    const path = "/functions/v1/upload";
    // Declares more than the limit, sends little.
    const declared = await rawRequest(
      server.url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nContent-Length: 999999999\r\n\r\nabc`,
    );
    expect(declared).toBe(413);
    // Both a length and chunked: refused by the HTTP parser.
    const smuggled = await rawRequest(
      server.url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    );
    expect(smuggled).toBeGreaterThanOrEqual(400);
    expect(smuggled).toBeLessThan(500);
    // After those, an ordinary upload is served as before.
    const upload = await call("upload", { method: "POST", headers: auth, body: "still fine" });
    expect(await upload.json()).toEqual({ bytes: 10 });
  });

  it("the server still serves after all of it", async () => {
    const { data } = await server.client().functions.invoke("hello", { body: { name: "after" } });
    expect(data).toEqual({ message: "Hello after!" });
  });
});
