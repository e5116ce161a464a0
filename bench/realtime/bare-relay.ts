/**
 * The broadcast benchmark's baseline: a bare `ws` server that does only what a relay must — joins
 * a socket to a topic and forwards each broadcast frame to the topic's other sockets — with no
 * authentication, presence, limits or cross-process bus. Run as a child process; prints its URL.
 */
import { type WebSocket, WebSocketServer } from "ws";

const rooms = new Map<string, Set<WebSocket>>();
const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
server.on("connection", (ws) => {
  const joined = new Set<string>();
  ws.on("message", (data: Buffer) => {
    const [joinRef, ref, topic, event, payload] = JSON.parse(data.toString()) as [
      string | null,
      string | null,
      string,
      string,
      Record<string, unknown>,
    ];
    if (event === "phx_join" || event === "heartbeat") {
      if (event === "phx_join") {
        let room = rooms.get(topic);
        if (!room) {
          room = new Set();
          rooms.set(topic, room);
        }
        room.add(ws);
        joined.add(topic);
      }
      ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]));
      return;
    }
    if (event !== "broadcast") return;
    const frame = JSON.stringify([null, null, topic, "broadcast", payload]);
    for (const member of rooms.get(topic) ?? []) if (member !== ws) member.send(frame);
  });
  ws.on("close", () => {
    for (const topic of joined) rooms.get(topic)?.delete(ws);
  });
});
server.on("listening", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${port}` })}\n`);
});
// The benchmarks read memory after a collection (node --expose-gc; no-op without it).
process.on("SIGUSR2", () => (globalThis as { gc?: () => void }).gc?.());
process.on("SIGTERM", () => server.close(() => process.exit(0)));
