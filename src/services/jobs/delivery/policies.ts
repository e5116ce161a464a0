import type pg from "pg";
import type { HttpPolicy } from "../types.js";

/** pg_net's behaviour for a destination without a policy: one attempt, no dead letter. */
export const SINGLE_SHOT: HttpPolicy = {
  urlPrefix: "",
  maxAttempts: 1,
  backoffBaseMs: 1000,
  backoffMaxMs: 300_000,
  timeoutMs: null,
  ratePerMinute: null,
  ratePerHour: null,
  userKey: null,
  userRatePerMinute: null,
  userRatePerHour: null,
  batchSize: 1,
  idempotencyHeader: null,
};

interface PolicyRow {
  url_prefix: string;
  max_attempts: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  timeout_ms: number | null;
  rate_per_minute: number | null;
  rate_per_hour: number | null;
  user_key: string[] | null;
  user_rate_per_minute: number | null;
  user_rate_per_hour: number | null;
  batch_size: number;
  idempotency_header: string | null;
}

/** Every policy, longest prefix first (so the first match is the most specific). */
export async function loadPolicies(pool: pg.Pool): Promise<HttpPolicy[]> {
  const { rows } = await pool.query<PolicyRow>(
    "select * from groundwork.http_policies order by length(url_prefix) desc, url_prefix",
  );
  return rows.map((row) => ({
    urlPrefix: row.url_prefix,
    maxAttempts: row.max_attempts,
    backoffBaseMs: row.backoff_base_ms,
    backoffMaxMs: row.backoff_max_ms,
    timeoutMs: row.timeout_ms,
    ratePerMinute: row.rate_per_minute,
    ratePerHour: row.rate_per_hour,
    userKey: row.user_key,
    userRatePerMinute: row.user_rate_per_minute,
    userRatePerHour: row.user_rate_per_hour,
    batchSize: row.batch_size,
    idempotencyHeader: row.idempotency_header,
  }));
}

/** The policy of the longest prefix of `url`, or pg_net's single shot. */
export function policyFor(policies: readonly HttpPolicy[], url: string): HttpPolicy {
  return policies.find((policy) => url.startsWith(policy.urlPrefix)) ?? SINGLE_SHOT;
}

/** One token bucket to take from: a key shared by every process, its size and refill rate. */
export interface Bucket {
  readonly key: string;
  readonly capacity: number;
  readonly perSecond: number;
}

/** The buckets one request (or batch) draws from: the destination's, then each user's. */
export function bucketsFor(policy: HttpPolicy, bodies: readonly (Buffer | null)[]): Bucket[] {
  const buckets: Bucket[] = [];
  const add = (key: string, perMinute: number | null, perHour: number | null) => {
    if (perMinute) buckets.push({ key: `${key}|m`, capacity: perMinute, perSecond: perMinute / 60 });
    if (perHour) buckets.push({ key: `${key}|h`, capacity: perHour, perSecond: perHour / 3600 });
  };
  add(`dest|${policy.urlPrefix}`, policy.ratePerMinute, policy.ratePerHour);
  if (policy.userKey && (policy.userRatePerMinute || policy.userRatePerHour)) {
    const users = new Set(bodies.map((body) => userOf(body, policy.userKey ?? [])));
    for (const user of users) {
      if (user !== null)
        add(`user|${policy.urlPrefix}|${user}`, policy.userRatePerMinute, policy.userRatePerHour);
    }
  }
  return buckets;
}

/**
 * Which batch a request may join: its URL's, and under per-user limits its user's too, so that a
 * user past their limit holds back only their own requests, not those batched with them.
 */
export function batchKeyOf(policy: HttpPolicy, url: string, body: Buffer | null): string {
  if (!policy.userKey || !(policy.userRatePerMinute || policy.userRatePerHour)) return url;
  return `${url}\u0000${userOf(body, policy.userKey) ?? ""}`;
}

/** The value at `path` in a JSON body, as text (null when the body or the value is absent). */
function userOf(body: Buffer | null, path: readonly string[]): string | null {
  if (!body) return null;
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  for (const step of path) {
    if (value === null || typeof value !== "object") return null;
    value = (value as Record<string, unknown>)[step];
  }
  return value === null || value === undefined || typeof value === "object" ? null : String(value);
}
