import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/** `groundwork.toml` `[metrics]`: who may read `GET /metrics`. */
export interface MetricsConfig {
  /**
   * When set, `/metrics` answers anyone who sends `Authorization: Bearer <token>` (and no one
   * else); when null, it answers only clients connecting from a loopback address.
   */
  readonly bearerToken: string | null;
}

/** The shortest token accepted: long enough that guessing it is not an option. */
const MIN_TOKEN_LENGTH = 16;

/** `[metrics] bearer_token` (or GROUNDWORK_METRICS_TOKEN, which wins). */
export function readMetrics(
  metrics: TableReader,
  env: Readonly<Record<string, string | undefined>>,
): MetricsConfig {
  const fromEnv = env.GROUNDWORK_METRICS_TOKEN?.trim();
  const token = fromEnv ? fromEnv : metrics.optionalString("bearer_token");
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      metrics.file,
      "metrics.bearer_token",
      `a token of at least ${MIN_TOKEN_LENGTH} characters`,
      `${token.length} characters`,
    );
  }
  return { bearerToken: token };
}
