import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { WireClient } from "../realtime/wire-client.js";
import { type Random, seededRandom } from "./random.js";

/**
 * The realtime WebSocket's part of the fuzz test: seeded mutations of valid Phoenix frames (both
 * serializers, binary broadcast pushes) sent over live sockets. Nothing a client sends may break
 * the server: the socket that sent a frame answers a heartbeat afterwards (or was closed for a
 * reason the protocol names: an oversize frame, a channel limit), other sockets carry on, and the
 * server still serves requests. Replay with GROUNDWORK_FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.GROUNDWORK_FUZZ_SEED ?? 20_261_207);
const FRAMES = 600;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const STRINGS = [
  "",
  "realtime:",
  "realtime:room",
  "phoenix",
  "x".repeat(300),
  "\u0000",
  "Zoë 👋 日本",
  "null",
  "%00",
];
const VALUES: unknown[] = [
  null,
  0,
  -1,
  Number.MAX_VALUE,
  "",
  "ü",
  [],
  {},
  [[[[[]]]]],
  true,
  "sb_publishable_x",
  2 ** 53 + 1,
];

function valid(random: Random, ref: string): unknown[] {
  const topic = random.pick(["realtime:fuzz", "realtime:fuzz-2", "phoenix"]);
  switch (random.int(6)) {
    case 0:
      return [
        ref,
        ref,
        topic,
        "phx_join",
        {
          config: {
            broadcast: { self: true, ack: true },
            presence: { key: "k" },
            postgres_changes: [{ event: "*", schema: "public", table: "contacts", filter: "id=eq.1" }],
          },
        },
      ];
    case 1:
      return [ref, ref, topic, "broadcast", { type: "broadcast", event: "e", payload: { text: "héllo" } }];
    case 2:
      return [ref, ref, topic, "presence", { type: "presence", event: "track", payload: { a: 1 } }];
    case 3:
      return [ref, ref, topic, "access_token", { access_token: server.anonKey }];
    case 4:
      return [ref, ref, topic, "phx_leave", {}];
    default:
      return [null, ref, "phoenix", "heartbeat", {}];
  }
}

/** Replaces a random leaf (or the whole frame) with something else. */
function mutateValue(value: unknown, random: Random, depth = 0): unknown {
  if (depth > 3 || random.chance(0.25)) return random.pick([...VALUES, ...STRINGS]);
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length > 0 && random.chance(0.8)) {
      const i = random.int(copy.length);
      copy[i] = mutateValue(copy[i], random, depth + 1);
    } else if (random.chance(0.5)) copy.pop();
    else copy.push(random.pick(VALUES));
    return copy;
  }
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (keys.length > 0 && random.chance(0.7)) {
      const key = random.pick(keys);
      copy[key] = mutateValue(copy[key], random, depth + 1);
    } else
      copy[random.pick(["config", "payload", "event", "type", "access_token", "__proto__"])] =
        random.pick(VALUES);
    return copy;
  }
  return random.pick([...VALUES, ...STRINGS]);
}

/** A text frame: a mutated valid frame, its JSON cut or corrupted, or the 1.0.0 object form. */
function textFrame(random: Random, ref: string): string {
  const frame = mutateValue(valid(random, ref), random);
  let text = JSON.stringify(frame) ?? "null";
  switch (random.int(5)) {
    case 0:
      text = text.slice(0, random.int(text.length + 1));
      break;
    case 1: {
      const at = random.int(text.length + 1);
      text = text.slice(0, at) + random.pick(['"', "}", "\\", "\u0000", "\ud800", ","]) + text.slice(at);
      break;
    }
    default:
  }
  return text;
}

/** A binary frame: a kind 3 push with lengths that may lie, or other kinds. */
function binaryFrame(random: Random): Buffer {
  const fields = ["1", "2", "realtime:fuzz", "e", ""];
  const payload = Buffer.from(random.chance(0.5) ? '{"a":1}' : "not json");
  const header = [
    random.chance(0.8) ? 3 : random.int(256),
    ...fields.map((f) => (random.chance(0.8) ? f.length : random.int(256))),
    random.int(3),
  ];
  const frame = Buffer.concat([Buffer.from(header), Buffer.from(fields.join(""), "latin1"), payload]);
  return random.chance(0.2) ? frame.subarray(0, random.int(frame.length)) : frame;
}

describe(`fuzzing the realtime WebSocket frames (seed ${SEED})`, () => {
  it(`survives ${FRAMES} mutated frames over both serializers`, async () => {
    const random = seededRandom(SEED);
    const bystander = await WireClient.connect(server.url, server.anonKey);
    await bystander.join("realtime:fuzz", "b1");
    let socket: WireClient | null = null;
    let vsn = "2.0.0";
    try {
      for (let i = 0; i < FRAMES; i += 1) {
        if (socket === null || socket.closeCode !== null) {
          if (socket?.closeCode !== null && socket !== null) {
            // Closed by the server: only for reasons the protocol names, never an internal error.
            expect([1000, 1008, 1009], `frame #${i} (seed ${SEED})`).toContain(socket.closeCode);
          }
          vsn = random.chance(0.5) ? "2.0.0" : "1.0.0";
          socket = await WireClient.connect(server.url, server.anonKey, vsn);
        }
        const ref = `r${i}`;
        if (vsn === "2.0.0" && random.chance(0.2)) socket.ws.send(binaryFrame(random));
        else if (vsn === "1.0.0" && random.chance(0.5)) {
          const [joinRef, r, topic, event, payload] = valid(random, ref) as [
            string,
            string,
            string,
            string,
            unknown,
          ];
          socket.ws.send(
            JSON.stringify(mutateValue({ join_ref: joinRef, ref: r, topic, event, payload }, random)),
          );
        } else socket.ws.send(textFrame(random, ref));
        if (i % 25 === 24) {
          // The socket still answers (or was closed for a named reason, checked above).
          socket.send(null, `hb${i}`, "phoenix", "heartbeat", {});
          await socket.reply(`hb${i}`).catch(() => undefined);
          if (socket.closeCode === null)
            expect(socket.received.some((f) => !Buffer.isBuffer(f) && f.ref === `hb${i}`)).toBe(true);
        }
      }
    } finally {
      socket?.close();
    }
    bystander.send(null, "after", "phoenix", "heartbeat", {});
    await bystander.reply("after");
    bystander.close();
    const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBeLessThan(500);
  }, 120_000);
});
