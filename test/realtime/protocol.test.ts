import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { settle } from "./helpers.js";
import { type Received, sign, WireClient } from "./wire-client.js";

let server: TestServer;
const sockets: WireClient[] = [];
async function connect(vsn = "2.0.0", key?: string): Promise<WireClient> {
  const socket = await WireClient.connect(server.url, key ?? server.anonKey, vsn);
  sockets.push(socket);
  return socket;
}
const event = (name: string) => (frame: Received) => !Buffer.isBuffer(frame) && frame.event === name;

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});
afterAll(async () => {
  await server.close();
});

/** The kind 3 frame realtime-js sends for a broadcast push (reference/realtime.md §2). */
function userBroadcastPush(
  joinRef: string,
  ref: string,
  topic: string,
  userEvent: string,
  payload: Buffer,
  encoding: number,
): Buffer {
  const header = Buffer.from([3, joinRef.length, ref.length, topic.length, userEvent.length, 0, encoding]);
  return Buffer.concat([header, Buffer.from(joinRef + ref + topic + userEvent, "latin1"), payload]);
}

describe("the WebSocket handshake", () => {
  it.each([
    ["no API key", "", 401, "API key is missing"],
    ["a token that is not a JWT", "not-a-token", 401, "The token provided is not a valid JWT"],
  ])("refuses %s with Realtime's JSON error", async (_name, key, status, message) => {
    const error = (await WireClient.connect(server.url, key).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(error.status).toBe(status);
    expect(JSON.parse(error.body)).toEqual({ error: message });
  });

  it("refuses an expired token, a bad signature and an unknown serializer", async () => {
    const expired = await sign(
      server.config.jwt.secret,
      { role: "anon", exp: Math.floor(Date.now() / 1000) - 120 },
      "none",
    );
    const forged = await sign("another secret of at least thirty-two characters", { role: "anon" });
    const cases: [string, string, number, string][] = [
      [expired, "2.0.0", 401, "Token has expired"],
      [forged, "2.0.0", 401, "Failed to validate JWT signature"],
      [server.anonKey, "9.9.9", 400, "Unsupported serializer version: 9.9.9"],
    ];
    for (const [key, vsn, status, message] of cases) {
      const error = (await WireClient.connect(server.url, key, vsn).catch((e: unknown) => e)) as {
        status: number;
        body: string;
      };
      expect(error.status).toBe(status);
      expect(JSON.parse(error.body).error).toBe(message);
    }
  });
});

describe("frames", () => {
  it("answers heartbeats in both serializers", async () => {
    for (const vsn of ["1.0.0", "2.0.0"]) {
      const socket = await connect(vsn);
      socket.send(null, "7", "phoenix", "heartbeat", {});
      const reply = await socket.reply("7");
      expect(reply).toMatchObject({
        topic: "phoenix",
        event: "phx_reply",
        payload: { status: "ok", response: {} },
      });
    }
  });

  it("relays binary broadcast pushes: JSON as text, raw bytes as kind 4 frames", async () => {
    const sender = await connect();
    const receiver = await connect();
    expect((await sender.join("realtime:bin", "1")).status).toBe("ok");
    expect((await receiver.join("realtime:bin", "1")).status).toBe("ok");
    sender.ws.send(
      userBroadcastPush("1", "2", "realtime:bin", "json-event", Buffer.from('{"t":"ünïcode ✓"}'), 1),
    );
    const text = await receiver.waitFor(event("broadcast"));
    expect(text).toMatchObject({
      topic: "realtime:bin",
      payload: { type: "broadcast", event: "json-event", payload: { t: "ünïcode ✓" } },
    });

    const bytes = Buffer.from([0, 1, 2, 255]);
    sender.ws.send(userBroadcastPush("1", "3", "realtime:bin", "raw", bytes, 0));
    const binary = (await receiver.waitFor((frame) => Buffer.isBuffer(frame))) as Buffer;
    expect(binary[0]).toBe(4);
    const [topicLength = 0, eventLength = 0, metaLength = 0, encoding] = [
      binary[1],
      binary[2],
      binary[3],
      binary[4],
    ];
    expect(encoding).toBe(0);
    const start = 5 + topicLength + eventLength + metaLength;
    expect(binary.subarray(5, 5 + topicLength).toString()).toBe("realtime:bin");
    expect(binary.subarray(start)).toEqual(bytes);
  });

  it("refuses malformed frames without affecting the socket or others, and closes only an oversize one", async () => {
    const victim = await connect();
    const other = await connect();
    expect((await other.join("realtime:calm", "1")).status).toBe("ok");
    for (const junk of ["not json", "[1,2]", '{"a":1}', '[null,"1","t","e",[]]', "\u0000", "[]"])
      victim.ws.send(junk);
    victim.ws.send(Buffer.from([9, 9, 9]));
    victim.ws.send(Buffer.from([3, 200, 200, 200, 200, 200, 1]));
    victim.send(null, "8", "phoenix", "heartbeat", {});
    await victim.reply("8");

    victim.send(null, "9", "realtime:not-joined", "broadcast", {
      type: "broadcast",
      event: "e",
      payload: {},
    });
    expect(((await victim.reply("9")) as { payload: unknown }).payload).toEqual({
      status: "error",
      response: { reason: "unmatched topic" },
    });

    victim.ws.send("x".repeat(5_000_001));
    await victim.waitFor(() => false, 3_000).catch(() => undefined);
    expect(victim.closeCode).toBe(1009);
    other.send(null, "10", "phoenix", "heartbeat", {});
    await other.reply("10");
  });
});

describe("joins", () => {
  it("refuses an empty topic, an expired token and a token without exp, with Supabase's reasons", async () => {
    const socket = await connect();
    expect(await socket.join("realtime:", "1")).toEqual({
      status: "error",
      response: { reason: "TopicNameRequired: You must provide a topic name" },
    });
    const expired = await sign(
      server.config.jwt.secret,
      { role: "authenticated", exp: Math.floor(Date.now() / 1000) - 100 },
      "none",
    );
    const refusal = await socket.join("realtime:a", "2", { config: {}, access_token: expired });
    expect(String(refusal.response.reason)).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    const noExp = await sign(server.config.jwt.secret, { role: "authenticated" }, "none");
    expect(await socket.join("realtime:b", "3", { config: {}, access_token: noExp })).toEqual({
      status: "error",
      response: { reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" },
    });
  });

  it("limits joins per second", async () => {
    const socket = await connect();
    for (let i = 0; i < 101; i += 1)
      socket.send(String(i), String(i), `realtime:r${i}`, "phx_join", { config: {} });
    const last = (await socket.reply("100")) as { payload: { status: string; response: { reason: string } } };
    expect(last.payload).toEqual({
      status: "error",
      response: { reason: "ClientJoinRateLimitReached: Too many joins per second" },
    });
  });

  it("closes a channel whose token expires, with the system message, then phx_close", async () => {
    const socket = await connect();
    const token = await sign(server.config.jwt.secret, { role: "authenticated", sub: "u1" }, "2s");
    expect((await socket.join("realtime:short", "1", { config: {}, access_token: token })).status).toBe("ok");
    const system = await socket.waitFor(event("system"), 6_000);
    expect(system).toMatchObject({
      topic: "realtime:short",
      payload: { extension: "system", status: "error", channel: "short" },
    });
    expect(String((system as { payload: { message: string } }).payload.message)).toMatch(
      /^Token has expired \d+ seconds ago$/,
    );
    await socket.waitFor(event("phx_close"));
  });

  it("leaves with phx_leave: ok, then phx_close", async () => {
    const socket = await connect("1.0.0");
    await socket.join("realtime:leave-me", "1");
    socket.send("1", "2", "realtime:leave-me", "phx_leave", {});
    expect(((await socket.reply("2")) as { payload: unknown }).payload).toEqual({
      status: "ok",
      response: {},
    });
    await socket.waitFor(event("phx_close"));
  });

  it("disconnects a client that does not read instead of queueing without bound", async () => {
    const sender = await connect();
    const stuck = await connect();
    await sender.join("realtime:flood", "1");
    await stuck.join("realtime:flood", "1");
    const raw = (stuck.ws as unknown as { _socket: { pause(): void } })._socket;
    raw.pause();
    const big = "y".repeat(1_000_000);
    for (let i = 0; i < 40 && stuck.closeCode === null; i += 1) {
      sender.send("1", String(i + 2), "realtime:flood", "broadcast", {
        type: "broadcast",
        event: "e",
        payload: { big },
      });
      await settle(20);
    }
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/groundwork_realtime_dropped_clients_total [1-9]/);
    sender.send(null, "99", "phoenix", "heartbeat", {});
    await sender.reply("99");
  });
});
