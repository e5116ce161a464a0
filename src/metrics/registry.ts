import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, Registry } from "prom-client";

/** Seconds; from a primary-key read (~1 ms) to a slow request. */
const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, handles); default true. */
  readonly processMetrics?: boolean;
}

/**
 * The metrics of one server: a prom-client registry of its own (not prom-client's global one, so
 * several servers in one process, as in tests, do not collide) and one-line constructors for
 * each kind. Names follow Prometheus' conventions: `groundwork_<service>_<what>_<unit>`, counters
 * ending in `_total`. Asking twice for one name returns the metric made the first time.
 *
 * @example
 * const uploads = deps.metrics.counter("groundwork_storage_uploads_total", "Uploads by outcome", ["outcome"]);
 * uploads.inc({ outcome: "stored" });
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A counter (a number that only goes up), with these label names. */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (
      this.#existing<Counter<L>>(name) ?? new Counter({ name, help, labelNames, registers: [this.registry] })
    );
  }

  /**
   * A gauge (a number that goes up and down). With `collect`, its value is read when the metrics
   * are scraped (e.g. a pool's connections in use) instead of being set as things happen.
   */
  gauge<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (gauge: Gauge<L>) => void,
  ): Gauge<L> {
    const existing = this.#existing<Gauge<L>>(name);
    if (existing) return existing;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect
        ? {
            collect: function (this: Gauge<L>) {
              collect(this);
            },
          }
        : {}),
    });
  }

  /** A histogram of durations or sizes; buckets default to request durations in seconds. */
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ): Histogram<L> {
    return (
      this.#existing<Histogram<L>>(name) ??
      new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] })
    );
  }

  /** Every metric in the Prometheus text format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    // prom-client writes NaN as `Nan`; the format's spelling is `NaN` (strict parsers want it).
    const body = (await this.registry.metrics()).replace(/ Nan$/gm, " NaN");
    return { contentType: this.registry.contentType, body };
  }

  #existing<M extends Metric>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }
}
