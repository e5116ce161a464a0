import type { WebSocket } from "ws";
import { type RealtimeCaller, realtimeCaller, type UpgradeInfo } from "./auth.js";
import { bindingsReply, type Channel, joinChannel } from "./channel.js";
import { OutgoingMessage } from "./frames.js";
import { LIMITS } from "./limits.js";
import { type BroadcastBody, decodeFrame, type Message, type Vsn } from "./protocol/serializer.js";
import type { RealtimeRuntime } from "./runtime.js";

/** Counts events in the current one-second window. */
class RateWindow {
  #second = 0;
  #count = 0;
  constructor(private readonly limit: number) {}
  /** False once the limit for the second of `at` (a frame's arrival, epoch ms) is used up. */
  take(at: number): boolean {
    const second = Math.floor(at / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#count = 0;
    }
    this.#count += 1;
    return this.#count <= this.limit;
  }
}

/** WebSocket close codes: 1008 policy violation (slow reader), 1001 going away (server stop). */
const CLOSE_SLOW = 1008;
const CLOSE_IDLE = 1000;

/**
 * One client connection speaking the Phoenix channel protocol: heartbeats, joins and leaves, and
 * the pushes of its joined channels. Frames are handled in order, one at a time; everything sent
 * to it goes through {@link send}, which closes a socket that stops reading instead of queueing
 * without bound.
 */
export class RealtimeSocket {
  readonly #channels = new Map<string, Channel>();
  readonly #joins = new RateWindow(LIMITS.joinsPerSecond);
  readonly #messages = new RateWindow(LIMITS.messagesPerSecond);
  readonly #presence = new RateWindow(LIMITS.presencePerSecond);
  #queue: Promise<void> = Promise.resolve();
  #lastSeen = Date.now();
  #closed = false;

  constructor(
    readonly runtime: RealtimeRuntime,
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The socket's API key (or token) from the URL: what channels act as without an access_token. */
    readonly apikey: string,
    private readonly upgrade: UpgradeInfo,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      // Rate limits count a frame in the second it arrived, not when its turn in the queue comes:
      // a slow server must not spread a client's burst over more seconds than the client sent it in.
      const arrived = Date.now();
      this.#lastSeen = arrived;
      this.#queue = this.#queue
        .then(() => this.#onFrame(data, isBinary, arrived))
        .catch((error: Error) => {
          this.runtime.log.warn({ err: error }, "realtime frame failed");
        });
    });
    ws.on("close", () => this.#onClose());
    ws.on("error", () => this.#onClose());
  }

  /** The caller for a channel's access token (or the socket's key). */
  callerFor(token: string | null): Promise<RealtimeCaller> {
    return realtimeCaller(this.runtime.config.jwt, this.upgrade, this.apikey, token);
  }

  /** True when the socket has been silent longer than realtime-js's heartbeats allow. */
  idle(now: number): boolean {
    return now - this.#lastSeen > LIMITS.idleTimeoutMs;
  }

  send(message: OutgoingMessage): void {
    if (this.#closed) return;
    const frame = message.frame(this.vsn);
    if (frame === null) return;
    if (this.ws.bufferedAmount > LIMITS.maxBufferedBytes) {
      this.runtime.metrics.slowClientDropped();
      this.close(CLOSE_SLOW, "Client is too slow: messages were not read");
      return;
    }
    this.ws.send(frame.data, { binary: frame.binary });
    this.runtime.metrics.messageOut();
  }

  reply(to: Message, status: "ok" | "error", response: unknown): void {
    this.send(
      new OutgoingMessage({
        joinRef: to.joinRef,
        ref: to.ref,
        topic: to.topic,
        event: "phx_reply",
        payload: { status, response },
      }),
    );
  }

  removeChannel(channel: Channel): void {
    if (this.#channels.get(channel.topic) === channel) this.#channels.delete(channel.topic);
    channel.close();
  }

  close(code = CLOSE_IDLE, reason = ""): void {
    if (this.#closed) return;
    this.ws.close(code, reason);
    // A client that does not answer the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
    this.runtime.sockets.delete(this);
    this.runtime.metrics.socketClosed();
  }

  async #onFrame(data: Buffer, isBinary: boolean, arrived: number): Promise<void> {
    if (this.#closed) return;
    this.runtime.metrics.messageIn();
    const decoded = decodeFrame(data, isBinary, this.vsn);
    if (!decoded.ok) {
      // Nothing to reply to (no ref to echo); the frame is dropped and the socket carries on.
      this.runtime.log.debug({ reason: decoded.reason }, "realtime frame refused");
      return;
    }
    const { message } = decoded;
    if (message.topic === "phoenix" && message.event === "heartbeat") {
      this.reply(message, "ok", {});
      return;
    }
    if (message.event === "phx_join") {
      await this.#join(message, arrived);
      return;
    }
    const channel = this.#channelFor(message.topic);
    if (!channel) {
      this.reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    switch (message.event) {
      case "phx_leave":
        this.reply(message, "ok", {});
        channel.push("phx_close", {}, channel.joinRef);
        this.removeChannel(channel);
        return;
      case "broadcast":
        if (!this.#messages.take(arrived)) return channel.shutdown("Too many messages per second");
        channel.broadcast(message, decoded.binary ?? jsonBody(message));
        return;
      case "presence":
        if (!this.#presence.take(arrived)) return channel.shutdown("Too many presence messages per second");
        channel.presence(message);
        return;
      case "access_token":
        if (!this.#messages.take(arrived)) return channel.shutdown("Too many messages per second");
        await channel.refreshToken((message.payload as Record<string, unknown>).access_token);
        return;
      default:
        this.reply(message, "error", { reason: `unknown event: ${message.event.slice(0, 100)}` });
    }
  }

  /**
   * realtime-js writes a binary frame's topic one byte per UTF-16 unit, so a topic with characters
   * beyond latin1 arrives altered; match it against the joined topics written the same way.
   */
  #channelFor(topic: string): Channel | undefined {
    const exact = this.#channels.get(topic);
    if (exact) return exact;
    for (const [joined, channel] of this.#channels) {
      if (latin1Bytes(joined) === topic) return channel;
    }
    return undefined;
  }

  async #join(message: Message, arrived: number): Promise<void> {
    if (!this.#joins.take(arrived)) {
      this.runtime.metrics.channelRefused();
      this.reply(message, "error", { reason: "ClientJoinRateLimitReached: Too many joins per second" });
      return;
    }
    const existing = this.#channels.get(message.topic);
    if (existing) {
      // A second join of a topic replaces the first, as Phoenix does.
      existing.push("phx_close", {}, existing.joinRef);
      this.removeChannel(existing);
    }
    if (this.#channels.size >= LIMITS.channelsPerSocket) {
      this.runtime.metrics.channelRefused();
      this.reply(message, "error", { reason: "ChannelRateLimitReached: Too many channels" });
      return;
    }
    await this.runtime.ready();
    const joined = await joinChannel(this, message).catch((error: Error) => {
      this.runtime.log.warn({ err: error }, "realtime join failed");
      return "UnableToConnectToProject: Realtime was unable to connect to the project database";
    });
    if (this.#closed) {
      if (typeof joined !== "string") joined.close();
      return;
    }
    if (typeof joined === "string") {
      this.runtime.metrics.channelRefused();
      this.reply(message, "error", { reason: joined });
      return;
    }
    this.#channels.set(message.topic, joined);
    this.runtime.metrics.channelJoined();
    this.runtime.hub.join(joined);
    if (joined.bindings.length > 0) this.runtime.dispatcher.add(joined);
    this.reply(message, "ok", { postgres_changes: bindingsReply(joined.bindings) });
    if (joined.presenceEnabled)
      joined.push("presence_state", this.runtime.hub.presenceState(joined.topicKey));
    if (joined.bindings.length > 0) joined.subscribed();
  }
}

function jsonBody(message: Message): BroadcastBody {
  return { kind: "json", value: (message.payload as Record<string, unknown>).payload };
}

function latin1Bytes(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1) out += String.fromCharCode(text.charCodeAt(i) & 0xff);
  return out;
}
