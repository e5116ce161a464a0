import pg from "pg";

export interface ListenerOptions {
  /** Whose connection options the LISTEN connection uses (the platform pool). */
  readonly pool: pg.Pool;
  readonly channel: string;
  readonly onNotification: (payload: string) => void;
  /** After each successful LISTEN: `first` is false after a reconnect, when notifications were missed. */
  readonly onListening?: (first: boolean) => void;
  /** When the connection drops: notifications from now until onListening are lost. */
  readonly onLost?: () => void;
  readonly log?: (message: string) => void;
}

const RECONNECT_MS = 1000;

/**
 * One connection that LISTENs on a channel and is re-opened a second after it drops (e.g. `db
 * reset` drops the database, or the server restarts). Notifications are not queued for a
 * connection that is gone, so whoever relies on them hears of the gap (onLost, then onListening
 * with first = false) and must assume it missed something.
 */
export class NotificationListener {
  readonly #options: ListenerOptions;
  #client: pg.Client | null = null;
  #closed = false;
  #first = true;

  constructor(options: ListenerOptions) {
    // A plain identifier, written as is: `listen pgrst` is what pg_stat_activity shows.
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel))
      throw new Error(`invalid channel name: ${options.channel}`);
    this.#options = options;
  }

  /** Opens the connection; a failure is logged and retried in the background. */
  async start(): Promise<void> {
    if (this.#closed) return;
    const { channel, log } = this.#options;
    const client = new pg.Client(this.#options.pool.options);
    client.on("notification", (message) => {
      if (message.channel === channel) this.#options.onNotification(message.payload ?? "");
    });
    const reconnect = () => {
      if (this.#client !== client) return;
      this.#client = null;
      client.end().catch(() => {});
      this.#options.onLost?.();
      if (this.#closed) return;
      setTimeout(() => {
        this.start().catch(() => {});
      }, RECONNECT_MS).unref();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    this.#client = client;
    try {
      await client.connect();
      await client.query(`listen ${channel}`);
    } catch (error) {
      log?.(`${channel} listener: ${(error as Error).message}`);
      reconnect();
      return;
    }
    if (this.#client !== client) return;
    const first = this.#first;
    this.#first = false;
    this.#options.onListening?.(first);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
