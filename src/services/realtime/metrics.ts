import type { Metrics } from "../../metrics/index.js";

/** Realtime's metrics at `/metrics` (docs/realtime.md lists them). */
export class RealtimeMetrics {
  readonly #sockets;
  readonly #channels;
  readonly #joins;
  readonly #messages;
  readonly #in;
  readonly #out;
  readonly #rlsChecks;
  readonly #rlsQueries;
  readonly #rlsSeconds;
  readonly #dropped;
  readonly #changes;

  constructor(metrics: Metrics, lag: () => number) {
    this.#sockets = metrics.gauge("groundwork_realtime_connections", "Open realtime WebSocket connections");
    this.#channels = metrics.gauge(
      "groundwork_realtime_channels",
      "Channels joined on this process's sockets",
    );
    this.#joins = metrics.counter("groundwork_realtime_joins_total", "Channel joins by outcome", ["outcome"]);
    this.#messages = metrics.counter("groundwork_realtime_messages_total", "Realtime messages by direction", [
      "direction",
    ]);
    // Bound once: labelling on every message would cost a lookup per frame sent.
    this.#in = this.#messages.labels({ direction: "in" });
    this.#out = this.#messages.labels({ direction: "out" });
    this.#rlsChecks = metrics.counter(
      "groundwork_realtime_rls_checks_total",
      "Claims groups whose visibility of a change was checked in the database",
    );
    this.#rlsQueries = metrics.counter(
      "groundwork_realtime_rls_queries_total",
      "Database round trips made for visibility checks of changes",
    );
    this.#rlsSeconds = metrics.histogram(
      "groundwork_realtime_rls_check_duration_seconds",
      "Time to check one change's visibility for all its claims groups",
    );
    this.#dropped = metrics.counter(
      "groundwork_realtime_dropped_clients_total",
      "Sockets closed because they did not read what was sent to them",
    );
    this.#changes = metrics.counter(
      "groundwork_realtime_changes_delivered_total",
      "postgres_changes messages delivered to channels",
    );
    metrics.gauge(
      "groundwork_realtime_replication_lag_seconds",
      "Commit-to-dispatch time of the last change",
      [],
      (gauge) => gauge.set(lag() / 1000),
    );
  }

  socketOpened(): void {
    this.#sockets.inc();
  }
  socketClosed(): void {
    this.#sockets.dec();
  }
  channelJoined(): void {
    this.#channels.inc();
    this.#joins.inc({ outcome: "ok" });
  }
  channelRefused(): void {
    this.#joins.inc({ outcome: "error" });
  }
  channelLeft(): void {
    this.#channels.dec();
  }
  messageIn(): void {
    this.#in.inc();
  }
  messageOut(count = 1): void {
    this.#out.inc(count);
  }
  rlsChecks(groups: number, queries: number, milliseconds: number): void {
    this.#rlsChecks.inc(groups);
    this.#rlsQueries.inc(queries);
    this.#rlsSeconds.observe(milliseconds / 1000);
  }
  changesDelivered(count: number): void {
    this.#changes.inc(count);
  }
  slowClientDropped(): void {
    this.#dropped.inc();
  }
}
