import pg from "pg";

/** What a subscriber is told besides its channel's payloads. */
export interface SubscribeOptions {
  /**
   * Called when LISTEN is back after the connection dropped (e.g. `db reset` dropped the
   * database): notifications sent meanwhile were lost, so whatever they would have refreshed must
   * be refreshed now. Not called for the first LISTEN.
   */
  readonly onGap?: () => void;
  /** Called when the connection drops: from now until `onGap`, notifications are lost. */
  readonly onLost?: () => void;
}

/** One channel's subscription on a {@link Listener}. */
export interface Subscription {
  /** True while its channel is LISTENed to: notifications sent now will arrive. */
  readonly listening: boolean;
  /** Stops delivering to this subscriber (the channel stays LISTENed to for the connection's life). */
  unsubscribe(): void;
}

/** The listener's connection: `listening` once LISTEN succeeded, `closed` after close(). */
export type ListenerState = "idle" | "connecting" | "listening" | "closed";

export interface ListenerOptions {
  /** Whose connection options the LISTEN connection uses (the platform pool). */
  readonly pool: pg.Pool;
  readonly log?: (message: string) => void;
  /** Told of every state change (metrics). */
  readonly onState?: (state: ListenerState) => void;
}

const RECONNECT_MS = 1000;
/** A plain identifier, written as is: `listen pgrst` is what pg_stat_activity shows. */
const CHANNEL = /^[a-z_][a-z0-9_]*$/;

interface Subscriber {
  readonly onPayload: (payload: string) => void;
  readonly onGap?: () => void;
  readonly onLost?: () => void;
}

/**
 * The one LISTEN connection of a process, shared by everything that needs notifications (the
 * schema cache on `pgrst`, the tenant scope cache on `groundwork_scope`, and any later service):
 * each subscribes to its channel, and the connection LISTENs to every subscribed channel. It is
 * re-opened a second after it drops; notifications are not queued for a connection that is gone,
 * so subscribers hear of the gap (`onGap`) and must assume they missed something.
 *
 * @example
 * const subscription = listener.subscribe("pgrst", () => reload(), { onGap: () => reload() });
 * await listener.start();
 */
export class Listener {
  readonly #options: ListenerOptions;
  readonly #channels = new Map<string, Set<Subscriber>>();
  /** Channels the current connection has LISTENed to. */
  readonly #listened = new Set<string>();
  #client: pg.Client | null = null;
  #state: ListenerState = "idle";
  #first = true;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: ListenerOptions) {
    this.#options = options;
  }

  get state(): ListenerState {
    return this.#state;
  }

  /**
   * Delivers `channel`'s payloads to `onPayload` from now on. On a connection that is already
   * open, the channel is LISTENed to in the background; `await listener.start()` after subscribing
   * waits until it is (do that before reading what the notifications keep fresh).
   */
  subscribe(
    channel: string,
    onPayload: (payload: string) => void,
    options: SubscribeOptions = {},
  ): Subscription {
    if (!CHANNEL.test(channel)) throw new Error(`invalid channel name: ${channel}`);
    const subscriber: Subscriber = { onPayload, onGap: options.onGap, onLost: options.onLost };
    let subscribers = this.#channels.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber);
    if (this.#client !== null) this.start().catch(() => {});
    const listener = this;
    return {
      get listening() {
        return listener.#state === "listening" && listener.#listened.has(channel);
      },
      unsubscribe: () => {
        subscribers.delete(subscriber);
      },
    };
  }

  /**
   * Opens the connection if it is not open and LISTENs to every subscribed channel not yet
   * LISTENed to. Resolves when that is done or has failed; a failure is retried in the background.
   */
  start(): Promise<void> {
    const run = async () => {
      if (this.#state === "closed") return;
      if (this.#client === null) await this.#connect();
      else await this.#listenNew(this.#client);
    };
    // One at a time: a subscription made during a connect is LISTENed to right after it.
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #connect(): Promise<void> {
    this.#setState("connecting");
    const client = new pg.Client(this.#options.pool.options);
    client.on("notification", (message) => {
      for (const subscriber of this.#channels.get(message.channel) ?? []) {
        subscriber.onPayload(message.payload ?? "");
      }
    });
    const reconnect = () => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#listened.clear();
      client.end().catch(() => {});
      if (this.#state === "closed") return;
      const wasListening = this.#state === "listening";
      this.#setState("connecting");
      if (wasListening) this.#each((subscriber) => subscriber.onLost?.());
      setTimeout(() => {
        this.start().catch(() => {});
      }, RECONNECT_MS).unref();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    this.#client = client;
    try {
      await client.connect();
    } catch (error) {
      this.#options.log?.(`listener: ${(error as Error).message}`);
      reconnect();
      return;
    }
    // Closed while connecting: close() could not end a connection that was not open yet.
    if (this.#client !== client) {
      await client.end().catch(() => {});
      return;
    }
    if (!(await this.#listenNew(client))) return;
    const first = this.#first;
    this.#first = false;
    this.#setState("listening");
    if (!first) this.#each((subscriber) => subscriber.onGap?.());
  }

  /** LISTENs to the channels `client` does not listen to yet; false when that failed. */
  async #listenNew(client: pg.Client): Promise<boolean> {
    const channels = [...this.#channels.keys()].filter((channel) => !this.#listened.has(channel));
    if (channels.length === 0) return true;
    try {
      await client.query(channels.map((channel) => `listen ${channel}`).join("; "));
    } catch (error) {
      this.#options.log?.(`listener (${channels.join(", ")}): ${(error as Error).message}`);
      // The connection's error or end handler reconnects; a statement error does not end it.
      if (this.#client === client) client.end().catch(() => {});
      return false;
    }
    if (this.#client !== client) return false;
    for (const channel of channels) this.#listened.add(channel);
    return true;
  }

  #each(fn: (subscriber: Subscriber) => void): void {
    for (const subscribers of this.#channels.values()) {
      for (const subscriber of subscribers) fn(subscriber);
    }
  }

  #setState(state: ListenerState): void {
    this.#state = state;
    this.#options.onState?.(state);
  }

  async close(): Promise<void> {
    this.#setState("closed");
    const client = this.#client;
    this.#client = null;
    this.#listened.clear();
    await client?.end().catch(() => {});
  }
}
