import { SignJWT } from "jose";
import WebSocket from "ws";

/** A frame the server sent, decoded: [join_ref, ref, topic, event, payload] or a binary frame. */
export type Received =
  | { joinRef: string | null; ref: string | null; topic: string; event: string; payload: unknown }
  | Buffer;

/**
 * A bare WebSocket speaking the Phoenix protocol by hand, to test the wire as no client library
 * would (malformed frames, binary kinds, vsn 1.0.0), with every wait bounded.
 */
export class WireClient {
  readonly received: Received[] = [];
  closeCode: number | null = null;
  #waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly vsn: string,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.received.push(data);
      else {
        const parsed = JSON.parse(data.toString());
        this.received.push(
          Array.isArray(parsed)
            ? { joinRef: parsed[0], ref: parsed[1], topic: parsed[2], event: parsed[3], payload: parsed[4] }
            : {
                joinRef: parsed.join_ref,
                ref: parsed.ref,
                topic: parsed.topic,
                event: parsed.event,
                payload: parsed.payload,
              },
        );
      }
      for (const waiter of this.#waiters) waiter();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      for (const waiter of this.#waiters) waiter();
    });
  }

  static connect(baseUrl: string, apikey: string, vsn = "2.0.0"): Promise<WireClient> {
    const url = `${baseUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=${vsn}`;
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("connect timed out")), 5_000);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve(new WireClient(ws, vsn));
      });
      ws.once("unexpected-response", (_request, response) => {
        clearTimeout(timer);
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () =>
          reject(Object.assign(new Error(body), { status: response.statusCode, body })),
        );
      });
      ws.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  send(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown): void {
    this.ws.send(
      this.vsn === "2.0.0"
        ? JSON.stringify([joinRef, ref, topic, event, payload])
        : JSON.stringify({ join_ref: joinRef, ref, topic, event, payload }),
    );
  }

  /** Waits until a received frame matches (bounded); returns it. */
  async waitFor(match: (frame: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode}) before a match`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame in ${timeoutMs} ms: ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#waiters = [];
    }
  }

  /** The reply to `ref`. */
  reply(ref: string): Promise<Received> {
    return this.waitFor(
      (frame) => !Buffer.isBuffer(frame) && frame.event === "phx_reply" && frame.ref === ref,
    );
  }

  async join(
    topic: string,
    ref: string,
    payload: Record<string, unknown> = { config: {} },
  ): Promise<{ status: string; response: Record<string, unknown> }> {
    this.send(ref, ref, topic, "phx_join", payload);
    const frame = await this.reply(ref);
    return (frame as { payload: { status: string; response: Record<string, unknown> } }).payload;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A token signed with the project's secret. */
export function sign(
  secret: string,
  claims: Record<string, unknown>,
  expiresIn: string | number = "1h",
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (expiresIn !== "none") jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}
