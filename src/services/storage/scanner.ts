import { connect, type Socket } from "node:net";
import { type Readable, Transform, type TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

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

/** How long clamd may take to accept the connection, and to answer once the stream is sent. */
const CONNECT_TIMEOUT_MS = 10_000;
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

  /** Scans a whole stream. */
  async scan(body: Readable): Promise<ScanVerdict> {
    const scan = await this.open();
    await pipeline(body, scan, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    return scan.verdict();
  }

  /**
   * Opens an INSTREAM that bytes are sent to as they pass through the returned stream, so that an
   * upload is scanned while it is written rather than read back afterwards. Rejects with
   * {@link ScannerUnavailable} when clamd cannot be reached.
   */
  async open(): Promise<InstreamScan> {
    return new InstreamScan(await this.connect());
  }

  private connect(): Promise<Socket> {
    const tcp = /^(.+):(\d+)$/.exec(this.address);
    return new Promise((resolve, reject) => {
      const socket = tcp ? connect(Number(tcp[2]), tcp[1]) : connect(this.address);
      const refuse = (error: Error) =>
        reject(new ScannerUnavailable(`clamd at ${this.address}: ${error.message}`));
      const timer = setTimeout(() => {
        socket.destroy();
        refuse(new Error("no connection in time"));
      }, CONNECT_TIMEOUT_MS);
      socket.once("error", refuse);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", refuse);
        resolve(socket);
      });
    });
  }
}

/**
 * Bytes on their way somewhere, sent to clamd as they pass; {@link verdict} once they ended. clamd
 * keeps the slower pace: a chunk passes on at once, the next is taken when clamd took this one.
 * If clamd breaks off midway (it drops a stream idle longer than its ReadTimeout, or longer than
 * its StreamMaxLength), the rest passes on unscanned and {@link verdict} rejects with
 * {@link ScannerUnavailable}: the bytes still arrive, and the caller decides.
 */
export class InstreamScan extends Transform {
  private failure: ScannerUnavailable | null = null;
  private readonly reply: Promise<string>;
  private waitingForDrain: (() => void) | null = null;
  /** The closing zero length is sent: from here on the reply (or its absence) tells. */
  private sent = false;

  constructor(private readonly socket: Socket) {
    super({ highWaterMark: 1024 * 1024 });
    this.reply = collectReply(socket);
    // Read by verdict(); a stream that fails first never asks.
    this.reply.catch(() => {});
    const broken = (error: Error) => {
      if (this.sent) return;
      this.failure ??=
        error instanceof ScannerUnavailable ? error : new ScannerUnavailable(`clamd: ${error.message}`);
      this.wakeWriter();
    };
    socket.on("error", broken);
    socket.on("close", () => broken(new ScannerUnavailable("clamd closed the connection before the end")));
    socket.on("drain", () => this.wakeWriter());
    socket.write("zINSTREAM\0");
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failure) {
      callback(null, chunk);
      return;
    }
    let flowing = true;
    this.socket.cork();
    for (let offset = 0; offset < chunk.length; offset += CHUNK) {
      const part = chunk.subarray(offset, offset + CHUNK);
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(part.length);
      this.socket.write(length);
      flowing = this.socket.write(part);
    }
    this.socket.uncork();
    this.push(chunk);
    if (flowing) callback();
    else this.waitingForDrain = () => callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.failure) {
      this.sent = true;
      this.socket.setTimeout(VERDICT_TIMEOUT_MS);
      this.socket.write(Buffer.alloc(4));
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) this.socket.destroy();
    callback(error);
  }

  /** clamd's answer, once every byte has passed. */
  async verdict(): Promise<ScanVerdict> {
    try {
      if (this.failure) throw this.failure;
      return parseReply(await this.reply);
    } finally {
      this.close();
    }
  }

  /** Ends the conversation with clamd (an upload that failed no longer asks for the verdict). */
  close(): void {
    this.socket.destroy();
  }

  private wakeWriter(): void {
    const resume = this.waitingForDrain;
    this.waitingForDrain = null;
    resume?.();
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
