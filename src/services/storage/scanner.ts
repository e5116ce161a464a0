import { connect, type Socket } from "node:net";
import type { Readable } from "node:stream";

/** What clamd said of a stream. */
export type ScanVerdict =
  | { readonly infected: false }
  | { readonly infected: true; readonly signature: string };

/** Thrown when clamd cannot be reached or breaks off; the bucket decides what happens then. */
export class ScannerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScannerUnavailable";
  }
}

/** How long clamd may take to answer once the stream is sent. */
const VERDICT_TIMEOUT_MS = 60_000;
/** INSTREAM chunks; clamd's default StreamMaxLength is far larger. */
const CHUNK = 64 * 1024;

/**
 * Scans streams with clamd's INSTREAM command over its Unix socket (a path) or TCP (`host:port`):
 * `zINSTREAM\0`, then chunks each prefixed by its 4-byte big-endian length, then a zero length;
 * clamd answers `stream: OK` or `stream: <signature> FOUND`. Written here rather than taken from
 * npm: the protocol is these few lines, and the packages that speak it shell out to clamdscan or
 * buffer whole files.
 */
export class ClamdScanner {
  constructor(private readonly address: string) {}

  async scan(body: Readable): Promise<ScanVerdict> {
    const socket = await this.open();
    try {
      const reply = collectReply(socket);
      socket.write("zINSTREAM\0");
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length; offset += CHUNK) {
          const part = chunk.subarray(offset, offset + CHUNK);
          const length = Buffer.alloc(4);
          length.writeUInt32BE(part.length);
          if (!socket.write(Buffer.concat([length, part]))) {
            await new Promise<void>((resolve, reject) => {
              socket.once("drain", resolve);
              socket.once("error", reject);
            });
          }
        }
      }
      socket.write(Buffer.alloc(4));
      return parseReply(await reply);
    } finally {
      socket.destroy();
    }
  }

  private open(): Promise<Socket> {
    const tcp = /^(.+):(\d+)$/.exec(this.address);
    return new Promise((resolve, reject) => {
      const socket = tcp ? connect(Number(tcp[2]), tcp[1]) : connect(this.address);
      socket.setTimeout(VERDICT_TIMEOUT_MS);
      socket.once("connect", () => resolve(socket));
      socket.once("error", (error) =>
        reject(new ScannerUnavailable(`clamd at ${this.address}: ${error.message}`)),
      );
    });
  }
}

function collectReply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0)) resolve(Buffer.concat(chunks).toString("utf8").replace(/\0.*$/s, ""));
    });
    socket.once("timeout", () => reject(new ScannerUnavailable("clamd did not answer in time")));
    socket.once("error", (error) => reject(new ScannerUnavailable(`clamd: ${error.message}`)));
    socket.once("end", () => resolve(Buffer.concat(chunks).toString("utf8").replace(/\0.*$/s, "")));
  });
}

function parseReply(reply: string): ScanVerdict {
  const text = reply.trim();
  if (text.endsWith("OK")) return { infected: false };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found?.[1]) return { infected: true, signature: found[1] };
  // "INSTREAM size limit exceeded. ERROR" and the like: no verdict.
  throw new ScannerUnavailable(`clamd gave no verdict: ${text || "(empty reply)"}`);
}
