/**
 * Realtime broadcast and idle-memory benchmark (issue 15 figures), side by side with a bare `ws`
 * relay measured in the same run:
 *   - 1,000 sockets in 10 channels (100 each), 200 broadcasts/s in total (one sender per channel),
 *     each delivered to the channel's 99 other sockets: deliveries/s, and latency from send to
 *     receipt, p50/p99;
 *   - resident memory of the server process per 1,000 idle joined sockets.
 * Each server runs in its own process; the clients run here.
 *
 *   npx tsx bench/realtime/broadcast.ts [seconds] [sockets]
 */
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";
import { type ChildServer, startApiServer, startChild } from "./processes.js";
import { type BenchSocket, joinedSocket, numberField, openAll, percentile, rssMb, sleep } from "./sockets.js";

const SECONDS = Number(process.argv[2] ?? 10);
const SOCKETS = Number(process.argv[3] ?? 1000);
const CHANNELS = 10;
const RATE = 200;

interface Figures {
  readonly idleMbPer1000: number;
  readonly sent: number;
  readonly deliveriesPerSecond: number;
  readonly expectedPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function measure(
  server: ChildServer,
  wsUrl: string,
  joinPayload: Record<string, unknown>,
): Promise<Figures> {
  const latencies: number[] = [];
  let counting = false;
  const onFrame = (text: string, receivedAt: number) => {
    if (!counting) return;
    const sentAt = numberField(text, "t");
    if (sentAt !== null) latencies.push(receivedAt - sentAt);
  };
  await server.collect();
  const before = rssMb(server.pid);
  const sockets: BenchSocket[] = await openAll(SOCKETS, (i) =>
    joinedSocket(wsUrl, `realtime:room-${i % CHANNELS}`, joinPayload, onFrame),
  );
  await sleep(1_000);
  await server.collect();
  const idleMbPer1000 = ((rssMb(server.pid) - before) * 1000) / SOCKETS;

  const senders = sockets.slice(0, CHANNELS);
  counting = true;
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < SECONDS * 1000) {
    // RATE per second on a schedule (a late tick catches up), round-robin over the channels.
    const due = Math.floor(((Date.now() - started) / 1000) * RATE);
    while (sent < due) {
      const sender = senders[sent % CHANNELS];
      sender?.send([
        "join",
        String(sent),
        `realtime:room-${sent % CHANNELS}`,
        "broadcast",
        {
          type: "broadcast",
          event: "m",
          payload: { t: Date.now(), seq: sent },
        },
      ]);
      sent += 1;
    }
    await sleep(10);
  }
  const elapsed = (Date.now() - started) / 1000;
  await sleep(1_000);
  counting = false;
  for (const socket of sockets) socket.close();
  latencies.sort((a, b) => a - b);
  const perChannel = SOCKETS / CHANNELS;
  return {
    idleMbPer1000,
    sent,
    deliveriesPerSecond: latencies.length / elapsed,
    expectedPerSecond: (sent * (perChannel - 1)) / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const example = await startExampleDatabase();
const config = await loadConfig(EXAMPLE, {});
let api: ChildServer | null = null;
let relay: ChildServer | null = null;
try {
  api = await startApiServer(
    example.adminUrl,
    withCredentials(example.adminUrl, "authenticator", "postgres"),
  );
  relay = await startChild("bench/realtime/bare-relay.ts");
  const anon = config.jwt.anonKey;
  const groundworkUrl = `${api.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${anon}&vsn=2.0.0`;
  const bare = await measure(relay, relay.url, {});
  const groundwork = await measure(api, groundworkUrl, {
    config: { broadcast: { self: false } },
    access_token: anon,
  });

  const row = (name: string, f: Figures) =>
    `${name.padEnd(22)} ${f.deliveriesPerSecond.toFixed(0).padStart(9)} ${f.expectedPerSecond.toFixed(0).padStart(9)} ${f.p50
      .toFixed(1)
      .padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${f.idleMbPer1000.toFixed(1).padStart(14)}`;
  console.log(`\nBroadcast: ${SOCKETS} sockets in ${CHANNELS} channels, ${RATE} msgs/s for ${SECONDS} s`);
  console.log(
    `${"server".padEnd(22)} ${"deliv/s".padStart(9)} ${"expected".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"idle MB/1000".padStart(14)}`,
  );
  console.log(row("groundwork realtime", groundwork));
  console.log(row("bare ws relay", bare));
  console.log(
    `ratio groundwork/bare: deliveries ${(groundwork.deliveriesPerSecond / bare.deliveriesPerSecond).toFixed(2)}, ` +
      `p50 ${(groundwork.p50 / Math.max(bare.p50, 0.1)).toFixed(1)}x, p99 ${(groundwork.p99 / Math.max(bare.p99, 0.1)).toFixed(1)}x, ` +
      `idle memory ${(groundwork.idleMbPer1000 / Math.max(bare.idleMbPer1000, 0.1)).toFixed(1)}x`,
  );
} finally {
  await api?.stop();
  await relay?.stop();
  await example.stop();
}
