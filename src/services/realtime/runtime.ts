import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../../config/index.js";
import type { Database } from "../../db/pool.js";
import type { ServiceDeps } from "../service.js";
import { ChangeCatalog } from "./changes/catalog.js";
import { ChangeDispatcher, type DatabaseBroadcast } from "./changes/dispatcher.js";
import { ChangeFeed } from "./changes/feed.js";
import { RealtimeHub, topicKey } from "./hub.js";
import { RealtimeMetrics } from "./metrics.js";
import type { BroadcastBody } from "./protocol/serializer.js";
import type { RealtimeSocket } from "./socket.js";

/** How long a join waits for the change feed the first time; after that it no longer waits. */
const FEED_WAIT_MS = 5_000;
const SWEEP_MS = 15_000;

/**
 * Realtime's state in one server: its sockets, the hub (channels, broadcast, presence, the bus to
 * other processes) and the change feed with its dispatcher. Nothing connects until the first
 * socket joins a channel, so realtime adds nothing to the server's start.
 */
export class RealtimeRuntime {
  readonly config: Config;
  readonly db: Database;
  readonly log: FastifyBaseLogger;
  readonly hub: RealtimeHub;
  readonly feed: ChangeFeed;
  readonly dispatcher: ChangeDispatcher;
  readonly metrics: RealtimeMetrics;
  readonly sockets = new Set<RealtimeSocket>();
  #ready: Promise<void> | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(deps: ServiceDeps) {
    this.config = deps.config;
    this.db = deps.db;
    this.log = deps.log;
    this.hub = new RealtimeHub(deps.db.admin, deps.listener, (message) => deps.log.warn(message));
    // The lag gauge reads the feed when scraped, by which time it exists.
    this.metrics = new RealtimeMetrics(deps.metrics, () => this.feed.lagMs);
    this.dispatcher = new ChangeDispatcher({
      api: deps.db.api,
      catalog: new ChangeCatalog(deps.db.admin),
      metrics: this.metrics,
      onDatabaseBroadcast: (broadcast) => this.#databaseBroadcast(broadcast),
    });
    this.feed = new ChangeFeed({
      admin: deps.db.admin,
      onTransaction: (transaction) => this.dispatcher.onTransaction(transaction),
      log: (level, message) => deps.log[level](message),
    });
  }

  /**
   * Starts the bus and the change feed on first use and waits for them (the feed at most a few
   * seconds; a database that cannot stream changes leaves the feed off with its reason, and the
   * rest of realtime working).
   */
  ready(): Promise<void> {
    this.#ready ??= (async () => {
      this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
      this.#sweeper.unref();
      const feed = this.feed.ready().catch(() => undefined);
      await this.hub.start();
      await Promise.race([feed, new Promise((resolve) => setTimeout(resolve, FEED_WAIT_MS).unref())]);
    })();
    return this.#ready;
  }

  /** Closes every socket (realtime-js reconnects and rejoins on its own) and stops the feed. */
  async close(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const socket of [...this.sockets]) socket.close(1001, "Server is restarting");
    await Promise.all([this.hub.close(), this.feed.close()]);
  }

  #sweep(): void {
    const now = Date.now();
    for (const socket of [...this.sockets]) if (socket.idle(now)) socket.close(1000, "Heartbeat timeout");
  }

  #databaseBroadcast(broadcast: DatabaseBroadcast): void {
    let body: BroadcastBody;
    if (broadcast.binaryPayload !== null) {
      body = { kind: "binary", bytes: Buffer.from(broadcast.binaryPayload.replace(/^\\x/, ""), "hex") };
    } else {
      try {
        body = { kind: "json", value: JSON.parse(broadcast.payload ?? "null") };
      } catch {
        return;
      }
    }
    // Every process reads the messages from its own feed, so this is delivered here only.
    const meta = broadcast.id ? { id: broadcast.id } : null;
    this.hub.broadcastLocal(topicKey(broadcast.topic, broadcast.isPrivate), broadcast.event, body, meta);
  }
}
