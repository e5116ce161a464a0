import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Listener } from "../../db/listener.js";
import type { BusMessage } from "./bus.js";
import { RealtimeBus } from "./bus.js";
import { broadcastMessage, type OutgoingMessage } from "./frames.js";
import { diffPayload, type PresenceMeta, PresenceRegistry, type WireDiff } from "./presence.js";
import type { BroadcastBody } from "./protocol/serializer.js";

/**
 * A joined channel as the hub sees it. Channels are grouped by *topic key*: the channel name plus
 * whether it is private, since Supabase keeps private and public channels of one name apart.
 */
export interface HubMember {
  readonly topicKey: string;
  /** The topic as the client wrote it (`realtime:<name>`), used in every message to it. */
  readonly topic: string;
  readonly selfBroadcast: boolean;
  readonly presenceEnabled: boolean;
  send(message: OutgoingMessage): void;
  /** Sends `{event, payload}` on the channel's topic. */
  push(event: string, payload: unknown): void;
}

export function topicKey(name: string, isPrivate: boolean): string {
  return `${isPrivate ? "private" : "public"}:${name}`;
}

/** How long a process may stay silent before the others forget its presences. */
const ALIVE_INTERVAL_MS = 5_000;
const ORIGIN_TIMEOUT_MS = 15_000;

/**
 * The process-wide side of realtime: which channels are joined to which topic here, delivering
 * broadcasts and presence diffs to them, and exchanging both with the other API processes.
 */
export class RealtimeHub {
  readonly origin = randomBytes(6).toString("hex");
  readonly #members = new Map<string, Set<HubMember>>();
  readonly #presence = new PresenceRegistry(this.origin);
  readonly #bus: RealtimeBus;
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #started: Promise<void> | null = null;

  constructor(admin: pg.Pool, listener: Listener, log: (message: string) => void) {
    this.#bus = new RealtimeBus({
      admin,
      listener,
      origin: this.origin,
      log,
      onMessage: (origin, message) => this.#fromBus(origin, message),
      // Presence sent while LISTEN was down was lost: ask the others for theirs again.
      onGap: () => this.#bus.publish({ t: "hello" }),
    });
  }

  /** Starts the bus once (lazily, at the first socket): LISTEN, then announce this process. */
  start(): Promise<void> {
    this.#started ??= this.#bus.start().then(() => {
      this.#bus.publish({ t: "hello" });
      this.#timer = setInterval(() => this.#tick(), ALIVE_INTERVAL_MS);
      this.#timer.unref();
    });
    return this.#started;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#started !== null) {
      this.#bus.publish({ t: "bye" });
      await this.#bus.close();
    }
  }

  join(member: HubMember): void {
    let members = this.#members.get(member.topicKey);
    if (!members) {
      members = new Set();
      this.#members.set(member.topicKey, members);
    }
    members.add(member);
  }

  leave(member: HubMember): void {
    this.untrack(member);
    const members = this.#members.get(member.topicKey);
    members?.delete(member);
    if (members?.size === 0) this.#members.delete(member.topicKey);
  }

  /** Members joined to a topic key in this process. */
  members(key: string): ReadonlySet<HubMember> {
    return this.#members.get(key) ?? new Set();
  }

  /**
   * Delivers a broadcast to this process's members of the topic (the sender only when it asked
   * for `self`) and to the other processes.
   */
  broadcast(
    key: string,
    sender: HubMember | null,
    event: string,
    body: BroadcastBody,
    meta: Record<string, unknown> | null,
  ): void {
    this.#deliverBroadcast(key, sender, event, body, meta);
    this.#bus.publish(
      body.kind === "json"
        ? { t: "broadcast", topic: key, event, json: body.value, meta }
        : { t: "broadcast", topic: key, event, b64: body.bytes.toString("base64"), meta },
    );
  }

  /** Delivers a broadcast that every process hears itself (one from the database): no bus. */
  broadcastLocal(
    key: string,
    event: string,
    body: BroadcastBody,
    meta: Record<string, unknown> | null,
  ): void {
    this.#deliverBroadcast(key, null, event, body, meta);
  }

  track(member: HubMember, key: string, payload: Readonly<Record<string, unknown>>): void {
    this.#announce(member.topicKey, this.#presence.track(member.topicKey, member, key, payload));
  }

  untrack(member: HubMember): void {
    const diff = this.#presence.untrack(member.topicKey, member);
    if (diff.leaves.length > 0) this.#announce(member.topicKey, diff);
  }

  presenceState(key: string): ReturnType<PresenceRegistry["state"]> {
    return this.#presence.state(key);
  }

  #deliverBroadcast(
    key: string,
    sender: HubMember | null,
    event: string,
    body: BroadcastBody,
    meta: Record<string, unknown> | null,
  ): void {
    const members = this.#members.get(key);
    if (!members) return;
    let message: OutgoingMessage | null = null;
    for (const member of members) {
      if (member === sender && !member.selfBroadcast) continue;
      message ??= broadcastMessage(member.topic, event, body, meta);
      member.send(message);
    }
  }

  #announce(key: string, diff: WireDiff): void {
    this.#sendDiff(key, diff);
    this.#bus.publish({ t: "presence", topic: key, joins: diff.joins, leaves: diff.leaves });
  }

  #sendDiff(key: string, diff: WireDiff): void {
    if (diff.joins.length === 0 && diff.leaves.length === 0) return;
    const payload = diffPayload(diff);
    for (const member of this.#members.get(key) ?? []) {
      if (member.presenceEnabled) member.push("presence_diff", payload);
    }
  }

  #fromBus(origin: string, message: BusMessage): void {
    const known = this.#seen.has(origin);
    this.#seen.set(origin, Date.now());
    switch (message.t) {
      case "broadcast": {
        const body: BroadcastBody =
          message.b64 !== undefined
            ? { kind: "binary", bytes: Buffer.from(message.b64, "base64") }
            : { kind: "json", value: message.json };
        this.#deliverBroadcast(message.topic, null, message.event, body, message.meta);
        return;
      }
      case "presence": {
        const diff = { joins: asPairs(message.joins), leaves: asPairs(message.leaves) };
        this.#presence.applyRemote(message.topic, origin, diff);
        this.#sendDiff(message.topic, diff);
        return;
      }
      case "hello":
        // A process (re)joined: tell it what this one tracks, so its presence_state is whole.
        for (const [key, diff] of this.#presence.ownEntries()) {
          this.#bus.publish({ t: "presence", topic: key, joins: diff.joins, leaves: [] });
        }
        if (!known) this.#bus.publish({ t: "alive" });
        return;
      case "bye":
        this.#forget(origin);
        return;
      case "alive":
        return;
    }
  }

  #tick(): void {
    this.#bus.publish({ t: "alive" });
    const now = Date.now();
    for (const [origin, seen] of this.#seen) {
      if (now - seen > ORIGIN_TIMEOUT_MS) this.#forget(origin);
    }
  }

  #forget(origin: string): void {
    this.#seen.delete(origin);
    for (const [key, diff] of this.#presence.dropOrigin(origin)) this.#sendDiff(key, diff);
  }
}

function asPairs(value: unknown): [string, PresenceMeta][] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (pair): pair is [string, PresenceMeta] =>
      Array.isArray(pair) &&
      typeof pair[0] === "string" &&
      typeof pair[1] === "object" &&
      pair[1] !== null &&
      typeof (pair[1] as { phx_ref?: unknown }).phx_ref === "string",
  );
}
