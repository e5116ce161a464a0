import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import type { RequestContext } from "../../db/context.js";
import { expiredMessage, isOpaqueKey, type RealtimeCaller } from "./auth.js";
import { type ChangeBinding, parseBindings } from "./changes/bindings.js";
import type { ChangeSubscriber } from "./changes/dispatcher.js";
import { OutgoingMessage } from "./frames.js";
import { type HubMember, topicKey } from "./hub.js";
import { LIMITS } from "./limits.js";
import { type ChannelPolicies, channelPolicies } from "./private-channel.js";
import type { BroadcastBody, Message } from "./protocol/serializer.js";
import type { RealtimeRuntime } from "./runtime.js";
import type { RealtimeSocket } from "./socket.js";

/** The largest delay setTimeout takes; later expiries are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One joined channel of a socket (reference/realtime.md §3–§6): what it receives (broadcasts,
 * presence, postgres_changes), as whom (the caller of its access token), and what RLS on
 * `realtime.messages` lets it do when private.
 */
export class Channel implements HubMember, ChangeSubscriber {
  readonly topicKey: string;
  context: RequestContext;
  #token: string | null;
  #expiresAt: number | null;
  #timer: NodeJS.Timeout | null = null;
  #policies: ChannelPolicies | null;
  #closed = false;

  constructor(
    readonly socket: RealtimeSocket,
    readonly topic: string,
    readonly name: string,
    readonly joinRef: string | null,
    readonly isPrivate: boolean,
    readonly selfBroadcast: boolean,
    readonly ack: boolean,
    readonly presenceKey: string,
    readonly presenceEnabled: boolean,
    readonly bindings: readonly ChangeBinding[],
    caller: {
      context: RequestContext;
      expiresAt: number | null;
      token: string | null;
      policies: ChannelPolicies | null;
    },
  ) {
    this.topicKey = topicKey(name, isPrivate);
    this.context = caller.context;
    this.#token = caller.token;
    this.#expiresAt = caller.expiresAt;
    this.#policies = caller.policies;
    this.#armExpiry();
  }

  get runtime(): RealtimeRuntime {
    return this.socket.runtime;
  }

  /** The hub's broadcasts; a private channel receives them only when its policies let it read. */
  send(message: OutgoingMessage): void {
    if (this.isPrivate && !this.#policies?.broadcast.read) return;
    this.socket.send(message);
  }

  push(event: string, payload: unknown, ref: string | null = null): void {
    this.socket.send(new OutgoingMessage({ joinRef: this.joinRef, ref, topic: this.topic, event, payload }));
  }

  deliverChange(ids: readonly number[], data: string): void {
    this.socket.send(
      OutgoingMessage.withRawPayload(
        this.joinRef,
        this.topic,
        "postgres_changes",
        `{"ids":${JSON.stringify(ids)},"data":${data}}`,
      ),
    );
  }

  /** A client broadcast: to the topic's other members (and itself with `self`), here and elsewhere. */
  broadcast(message: Message, body: BroadcastBody): void {
    const payload = message.payload as Record<string, unknown>;
    const event = typeof payload.event === "string" ? payload.event : "";
    if (this.isPrivate && !this.#policies?.broadcast.write) {
      if (this.ack)
        this.socket.reply(message, "error", {
          reason: `You do not have permissions to write to this Channel topic: ${this.name}`,
        });
      return;
    }
    const size =
      body.kind === "binary" ? body.bytes.length : Buffer.byteLength(JSON.stringify(body.value ?? null));
    if (size > LIMITS.maxBroadcastBytes) {
      if (this.ack) this.socket.reply(message, "error", { reason: "Payload too large" });
      return;
    }
    this.runtime.hub.broadcast(this.topicKey, this, event, body, null);
    if (this.ack) this.socket.reply(message, "ok", {});
  }

  /** `presence` pushes: track (payload must be an object) and untrack. */
  presence(message: Message): void {
    const payload = message.payload as Record<string, unknown>;
    if (this.isPrivate && !this.#policies?.presence.write) {
      this.socket.reply(message, "error", {
        reason: `You do not have permissions to write to this Channel topic: ${this.name}`,
      });
      return;
    }
    if (payload.event === "untrack") {
      this.runtime.hub.untrack(this);
      this.socket.reply(message, "ok", {});
      return;
    }
    if (payload.event !== "track") {
      this.socket.reply(message, "error", { reason: "Presence event must be track or untrack" });
      return;
    }
    const tracked = payload.payload;
    if (typeof tracked !== "object" || tracked === null || Array.isArray(tracked)) {
      this.socket.reply(message, "error", { reason: "Presence track payload must be a map" });
      return;
    }
    if (Buffer.byteLength(JSON.stringify(tracked)) > LIMITS.maxPresenceBytes) {
      this.shutdown("Track message size exceeded");
      return;
    }
    this.runtime.hub.track(this, this.presenceKey, tracked as Record<string, unknown>);
    this.socket.reply(message, "ok", {});
  }

  /**
   * A refreshed token (§6): ignored when it is an API key, null or unchanged; otherwise verified,
   * private-channel permissions re-checked, and the channel's postgres_changes continue as the
   * new caller. A token that fails closes the channel with Supabase's system message.
   */
  async refreshToken(token: unknown): Promise<void> {
    if (typeof token !== "string" || isOpaqueKey(token) || token === this.#token) return;
    const caller = await this.socket.callerFor(token);
    if (this.#closed) return;
    if (!caller.ok) {
      this.shutdown(
        caller.reason === "expired" ? expiredMessage(expiryOf(token) ?? Date.now()) : caller.message,
      );
      return;
    }
    if (caller.expiresAt !== null && caller.expiresAt <= Date.now()) {
      this.shutdown(expiredMessage(caller.expiresAt));
      return;
    }
    if (this.isPrivate) {
      const policies = await channelPolicies(this.runtime.db.api, caller.context, this.name).catch(
        () => null,
      );
      if (this.#closed) return;
      if (!policies) {
        this.shutdown("Realtime was unable to connect to the project database");
        return;
      }
      if (!policies.broadcast.read && !policies.presence.read) {
        this.shutdown(`You no longer have permission to read from this Channel topic: ${this.name}`);
        return;
      }
      this.#policies = policies;
    }
    this.context = caller.context;
    this.#token = token;
    this.#expiresAt = caller.expiresAt;
    this.#armExpiry();
    if (this.bindings.length > 0) this.subscribed();
  }

  /** Tells the client its postgres_changes are set up (again, after a token refresh). */
  subscribed(): void {
    const unavailable = this.runtime.feed.unavailable;
    this.push("system", {
      extension: "postgres_changes",
      status: unavailable ? "error" : "ok",
      message: unavailable ?? "Subscribed to PostgreSQL",
      channel: this.name,
    });
  }

  /** Closes the channel from the server side with a system error, as Supabase does. */
  shutdown(message: string): void {
    if (this.#closed) return;
    this.push("system", { extension: "system", status: "error", message, channel: this.name });
    this.push("phx_close", {}, this.joinRef);
    this.socket.removeChannel(this);
  }

  /** Stops everything the channel receives; called once, when it leaves or its socket closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.runtime.hub.leave(this);
    this.runtime.dispatcher.remove(this);
    this.runtime.metrics.channelLeft();
  }

  #armExpiry(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const expiresAt = this.#expiresAt;
    if (expiresAt === null) return;
    const delay = expiresAt - Date.now();
    this.#timer = setTimeout(
      () => {
        if (Date.now() >= expiresAt) this.shutdown(expiredMessage(expiresAt));
        else this.#armExpiry();
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.#timer.unref();
  }
}

/** `exp` of a token, read without verifying it (only to word an error). */
function expiryOf(token: string): number | null {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** A refused join's reason, worded as Supabase words it (`Code: message`). */
export function joinRefusal(caller: Exclude<RealtimeCaller, { ok: true }>, token: string): string {
  switch (caller.reason) {
    case "expired":
      return `InvalidJWTToken: ${expiredMessage(expiryOf(token) ?? Date.now())}`;
    case "claims":
      return `InvalidJWTToken: ${caller.message}`;
    case "signature":
      return `JwtSignatureError: ${caller.message}`;
    default:
      return `MalformedJWT: ${caller.message}`;
  }
}

/**
 * Handles a `phx_join`: checks the topic, the token and (private channels) RLS, then joins the
 * hub and the change dispatcher. Returns the channel, or the refusal reason for the reply.
 */
export async function joinChannel(socket: RealtimeSocket, message: Message): Promise<Channel | string> {
  const name = message.topic.startsWith("realtime:")
    ? message.topic.slice("realtime:".length)
    : message.topic;
  if (name === "") return "TopicNameRequired: You must provide a topic name";
  const payload = message.payload as Record<string, unknown>;
  const config = (isObject(payload.config) ? payload.config : {}) as Record<string, unknown>;
  const broadcast = (isObject(config.broadcast) ? config.broadcast : {}) as Record<string, unknown>;
  const presence = (isObject(config.presence) ? config.presence : {}) as Record<string, unknown>;
  const isPrivate = config.private === true;

  const rawToken = typeof payload.access_token === "string" ? payload.access_token : payload.user_token;
  const token = typeof rawToken === "string" && rawToken !== "" && !isOpaqueKey(rawToken) ? rawToken : null;
  const caller = await socket.callerFor(token);
  if (!caller.ok) return joinRefusal(caller, token ?? socket.apikey);
  if (caller.expiresAt !== null && caller.expiresAt <= Date.now()) {
    return `InvalidJWTToken: ${expiredMessage(caller.expiresAt)}`;
  }

  const parsed = parseBindings(config.postgres_changes);
  if (!parsed.ok) return `InvalidJoinPayload: ${parsed.message}`;

  let policies: ChannelPolicies | null = null;
  if (isPrivate) {
    try {
      policies = await channelPolicies(socket.runtime.db.api, caller.context, name);
    } catch {
      return "UnableToSetPolicies: Realtime was unable to connect to the project database";
    }
    if (!policies.broadcast.read && !policies.presence.read) {
      return `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`;
    }
  }
  const presenceKey = typeof presence.key === "string" && presence.key !== "" ? presence.key : randomUUID();
  return new Channel(
    socket,
    message.topic,
    name,
    message.joinRef ?? message.ref,
    isPrivate,
    broadcast.self === true,
    broadcast.ack === true,
    presenceKey,
    presence.enabled === true && (policies === null || policies.presence.read),
    parsed.bindings,
    { context: caller.context, expiresAt: caller.expiresAt, token, policies },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The join reply's `postgres_changes`: the client's entries, unchanged and in order, each with its id. */
export function bindingsReply(bindings: readonly ChangeBinding[]): Record<string, unknown>[] {
  return bindings.map((binding) => ({ ...binding.raw, id: binding.id }));
}
