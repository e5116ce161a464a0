/**
 * What the realtime benchmarks share: many bare WebSocket clients speaking Phoenix vsn 2.0.0
 * (lighter than 1,000 realtime-js instances, so the figures are the server's), percentiles, and
 * a process's resident memory.
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";

export type Frame = [string | null, string | null, string, string, Record<string, unknown>];

export interface BenchSocket {
  readonly ws: WebSocket;
  /** Sends a Phoenix frame. */
  send(frame: Frame): void;
  close(): void;
}

/**
 * Opens a socket to `wsUrl` (…/websocket?apikey=…&vsn=2.0.0), joins `topic` with `payload`, and
 * resolves once the join is answered ok; `onFrame` then sees every text frame.
 */
export function joinedSocket(
  wsUrl: string,
  topic: string,
  payload: Record<string, unknown>,
  onFrame: (text: string, receivedAt: number) => void,
): Promise<BenchSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error(`join of ${topic} timed out`)), 60_000);
    let beat: NodeJS.Timeout | null = null;
    const socket: BenchSocket = {
      ws,
      send: (frame) => ws.send(JSON.stringify(frame)),
      close: () => {
        if (beat) clearInterval(beat);
        ws.terminate();
      },
    };
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const receivedAt = Date.now();
      const text = data.toString();
      // Parsed only when needed: at 20,000 frames/s the clients' JSON.parse would be the bottleneck.
      if (text.startsWith('["join","join"')) {
        clearTimeout(timer);
        const frame = JSON.parse(text) as Frame;
        const status = (frame[4] as { status?: string }).status;
        if (status !== "ok") reject(new Error(`join refused: ${JSON.stringify(frame[4])}`));
        else resolve(socket);
        return;
      }
      onFrame(text, receivedAt);
    });
    ws.once("open", () => {
      ws.send(JSON.stringify(["join", "join", topic, "phx_join", payload]));
      let ref = 0;
      beat = setInterval(() => {
        ref += 1;
        ws.send(JSON.stringify([null, `hb${ref}`, "phoenix", "heartbeat", {}]));
      }, 25_000);
      beat.unref();
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Opens sockets `concurrency` at a time (a burst of 1,000 handshakes is not what is measured). */
export async function openAll<T>(
  count: number,
  open: (index: number) => Promise<T>,
  concurrency = 50,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        results[index] = await open(index);
      }
    }),
  );
  return results;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Resident memory of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** The number after `"key":` in a frame's text, without parsing the frame. */
export function numberField(text: string, key: string): number | null {
  const at = text.indexOf(`"${key}":`);
  if (at < 0) return null;
  const value = Number.parseInt(text.slice(at + key.length + 3, at + key.length + 20), 10);
  return Number.isNaN(value) ? null : value;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
