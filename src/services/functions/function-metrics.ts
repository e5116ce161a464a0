import type { Counter, Histogram } from "prom-client";
import type { Metrics } from "../../metrics/index.js";

/** The functions service's metrics. */
export interface FunctionMetrics {
  /** Worker boots by function and outcome (`ok`, `boot_error`); each is a cold start. */
  readonly boots: Counter<"function" | "outcome">;
  /** Seconds from spawning a worker to its Deno.serve listening. */
  readonly bootSeconds: Histogram<"function">;
  /** The relay's own error answers by function and code (WORKER_ERROR, WORKER_LIMIT, BOOT_ERROR...). */
  readonly relayErrors: Counter<"function" | "code">;
}

export function functionMetrics(metrics: Metrics): FunctionMetrics {
  return {
    boots: metrics.counter(
      "groundwork_function_boots_total",
      "Edge function worker boots (cold starts) by function and outcome: ok or boot_error",
      ["function", "outcome"],
    ),
    bootSeconds: metrics.histogram(
      "groundwork_function_boot_seconds",
      "Seconds from starting an edge function's Deno worker to its handler listening",
      ["function"],
      [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30],
    ),
    relayErrors: metrics.counter(
      "groundwork_function_relay_errors_total",
      "Error answers of the functions relay itself (not the functions' own responses), by function and code",
      ["function", "code"],
    ),
  };
}
