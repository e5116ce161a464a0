import type pg from "pg";
import type { Listener, Subscription } from "../../db/listener.js";

/**
 * What API processes on one database tell each other (broadcasts, presence) — through PostgreSQL's
 * NOTIFY, so several processes need no broker of their own. Messages queued in one tick go out as
 * one NOTIFY; a batch above NOTIFY's 8,000-byte limit is written to an unlogged table and only
 * its id is notified.
 */
export type BusMessage =
  | {
      readonly t: "broadcast";
      readonly topic: string;
      readonly event: string;
      readonly json?: unknown;
      readonly b64?: string;
      readonly meta: Record<string, unknown> | null;
    }
  | { readonly t: "presence"; readonly topic: string; readonly joins: unknown; readonly leaves: unknown }
  | { readonly t: "hello" }
  | { readonly t: "alive" }
  | { readonly t: "bye" };

export interface BusEnvelope {
  readonly origin: string;
  readonly messages: readonly BusMessage[];
}

export interface BusOptions {
  readonly admin: pg.Pool;
  /** The process's one LISTEN connection. */
  readonly listener: Listener;
  readonly origin: string;
  readonly onMessage: (origin: string, message: BusMessage) => void;
  /** LISTEN is back after a drop: messages sent meanwhile were lost. */
  readonly onGap: () => void;
  readonly log: (message: string) => void;
}

export const BUS_CHANNEL = "groundwork_realtime";
/** NOTIFY's payload limit is 8,000 bytes; keep a margin for the envelope. */
const INLINE_LIMIT = 7_500;
const SPILL_PREFIX = "@";

export class RealtimeBus {
  readonly #options: BusOptions;
  #subscription: Subscription | null = null;
  #queue: BusMessage[] = [];
  #flushing = false;
  #spills = 0;
  /** Set while a spilled batch is being read back; later notifications wait behind it. */
  #spilled: Promise<void> | null = null;

  constructor(options: BusOptions) {
    this.#options = options;
  }

  /** Subscribes to the bus channel and waits until it is LISTENed to. */
  async start(): Promise<void> {
    this.#subscription ??= this.#options.listener.subscribe(
      BUS_CHANNEL,
      (payload) => this.#receive(payload),
      {
        onGap: this.#options.onGap,
      },
    );
    await this.#options.listener.start();
  }

  /** Queues a message for the other processes; sent with whatever else this tick queues. */
  publish(message: BusMessage): void {
    this.#queue.push(message);
    if (this.#queue.length === 1 && !this.#flushing) setImmediate(() => void this.#flush());
  }

  async close(): Promise<void> {
    await this.#flush();
    this.#subscription?.unsubscribe();
    this.#subscription = null;
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const messages = this.#queue;
    this.#queue = [];
    try {
      const text = JSON.stringify({ origin: this.#options.origin, messages } satisfies BusEnvelope);
      const payload = Buffer.byteLength(text) <= INLINE_LIMIT ? text : await this.#spill(text);
      await this.#options.admin.query("select pg_notify($1, $2)", [BUS_CHANNEL, payload]);
    } catch (error) {
      this.#options.log(`realtime bus: ${(error as Error).message}`);
    } finally {
      this.#flushing = false;
      if (this.#queue.length > 0) setImmediate(() => void this.#flush());
    }
  }

  async #spill(text: string): Promise<string> {
    const { rows } = await this.#options.admin.query<{ id: string }>(
      "insert into groundwork.realtime_bus (body) values ($1) returning id",
      [text],
    );
    // Every receiver reads a spilled batch within moments; older ones are garbage.
    this.#spills += 1;
    if (this.#spills % 100 === 1) {
      await this.#options.admin.query(
        "delete from groundwork.realtime_bus where created_at < now() - interval '5 minutes'",
      );
    }
    return `${SPILL_PREFIX}${rows[0]?.id}`;
  }

  #receive(payload: string): void {
    if (!payload.startsWith(SPILL_PREFIX) && this.#spilled === null) {
      this.#deliver(payload);
      return;
    }
    // A spilled batch is read back before anything notified after it is delivered, so order holds.
    const previous = this.#spilled ?? Promise.resolve();
    const next = previous.then(async () => {
      if (!payload.startsWith(SPILL_PREFIX)) return this.#deliver(payload);
      try {
        const { rows } = await this.#options.admin.query<{ body: string }>(
          "select body from groundwork.realtime_bus where id = $1",
          [payload.slice(1)],
        );
        if (rows[0]) this.#deliver(rows[0].body);
      } catch (error) {
        this.#options.log(`realtime bus: ${(error as Error).message}`);
      }
    });
    this.#spilled = next;
    void next.then(() => {
      if (this.#spilled === next) this.#spilled = null;
    });
  }

  #deliver(text: string): void {
    let envelope: BusEnvelope;
    try {
      envelope = JSON.parse(text) as BusEnvelope;
    } catch {
      return;
    }
    if (envelope.origin === this.#options.origin || !Array.isArray(envelope.messages)) return;
    for (const message of envelope.messages) this.#options.onMessage(envelope.origin, message);
  }
}
