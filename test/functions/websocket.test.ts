import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { TempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { functionsProject } from "./fixtures.js";

/** What a handshake that was not upgraded answered. */
interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Opens a WebSocket, or resolves with the HTTP answer that refused it. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | Refusal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) =>
    socket.once("message", (data: Buffer, binary) => resolve({ data, binary })),
  );
}

// WebSockets served by a function's Deno.upgradeWebSocket, through /functions/v1, with a real client.
describe("WebSockets in edge functions", () => {
  let project: TempProject;
  let server: TestServer;
  let wsUrl: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    project = functionsProject();
    server = await startTestServer({ projectDir: project.dir });
    wsUrl = server.url.replace(/^http/, "ws");
    auth = { apikey: server.anonKey, authorization: `Bearer ${server.anonKey}` };
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  it("relays text and binary frames both ways, non-ASCII intact", async () => {
    const socket = await connect(`${wsUrl}/functions/v1/echo-ws`, auth);
    if (!(socket instanceof WebSocket)) throw new Error(`refused with ${socket.status}: ${socket.body}`);
    const text = nextMessage(socket);
    socket.send("héllo 🌍 日本");
    const reply = await text;
    expect(reply.binary).toBe(false);
    expect(reply.data.toString("utf8")).toBe("echo: héllo 🌍 日本");
    const bytes = nextMessage(socket);
    socket.send(Buffer.from([0, 1, 2, 255]));
    expect([...(await bytes).data]).toEqual([0, 1, 2, 255]);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.close(1000, "done");
    await closed;
    // The function still answers after the socket closed.
    const again = await connect(`${wsUrl}/functions/v1/echo-ws`, auth);
    expect(again).toBeInstanceOf(WebSocket);
    (again as WebSocket).terminate();
  });

  it("checks verify_jwt and the function's existence before upgrading, as the relay answers", async () => {
    const missing = (await connect(`${wsUrl}/functions/v1/echo-ws`)) as Refusal;
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toEqual({ msg: "Error: Missing authorization header" });
    const invalid = (await connect(`${wsUrl}/functions/v1/echo-ws`, {
      authorization: "Bearer not.a.jwt",
    })) as Refusal;
    expect(invalid.status).toBe(401);
    expect(JSON.parse(invalid.body)).toEqual({ msg: "Invalid JWT" });
    const unknown = (await connect(`${wsUrl}/functions/v1/no-such-function`, auth)) as Refusal;
    expect(unknown.status).toBe(404);
    expect(unknown.body).toBe("Function not found");
  });

  it("relays a function's answer that does not upgrade, then closes the connection", async () => {
    const refused = (await connect(`${wsUrl}/functions/v1/echo-ws?refuse=1`, auth)) as Refusal;
    expect(refused.status).toBe(426);
    expect(refused.headers["x-reason"]).toBe("upgrade");
    expect(refused.body).toBe("a WebSocket only ✋");
  });

  it("still sends other upgrade paths to their own service, and unknown ones a 404", async () => {
    const elsewhere = (await connect(`${wsUrl}/nothing/here`, auth)) as Refusal;
    expect(elsewhere.status).toBe(404);
    const realtime = await connect(`${wsUrl}/realtime/v1/websocket?apikey=${server.anonKey}&vsn=1.0.0`);
    expect(realtime).toBeInstanceOf(WebSocket);
    (realtime as WebSocket).terminate();
  });

  it("ends an open WebSocket at the wall-clock limit", async () => {
    const socket = await connect(`${wsUrl}/functions/v1/echo-ws`, auth);
    if (!(socket instanceof WebSocket)) throw new Error(`refused with ${socket.status}`);
    const opened = Date.now();
    await new Promise((resolve) => socket.once("close", resolve));
    // groundwork.toml of the fixtures: wall_clock_limit = 4 (seconds).
    expect(Date.now() - opened).toBeGreaterThan(3000);
    expect(Date.now() - opened).toBeLessThan(10_000);
  });
});
