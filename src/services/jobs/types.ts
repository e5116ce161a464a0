/**
 * The job engine's words:
 * - request: one HTTP call queued by `net.http_get/http_post/http_delete` (database webhooks call
 *   these), a row of `net.http_request_queue` until it is delivered or fails for good.
 * - lease: a claimed request's `locked_by` / `locked_until`; another process takes the request
 *   over only after the lease runs out (its sender died), so a request is never sent twice while
 *   a lease is held.
 * - policy: the delivery settings of a destination URL prefix (`groundwork.http_policies`):
 *   attempts, backoff, timeout, rate limits, batching, idempotency header.
 * - dead letter: a request that failed its last attempt under a policy
 *   (`groundwork.http_dead_letters`), kept to list and replay.
 * - tick: one moment a cron job is due; claimed in `cron._job_state` so it runs once across
 *   every API process.
 */

/** A request as the delivery worker claims it. */
export interface ClaimedRequest {
  readonly id: string;
  readonly method: "GET" | "POST" | "DELETE";
  readonly url: string;
  readonly headers: Record<string, unknown>;
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  /** Sends started, this one included. */
  readonly attempts: number;
  readonly idempotencyKey: string;
}

/** Delivery settings for a destination (a row of `groundwork.http_policies`). */
export interface HttpPolicy {
  readonly urlPrefix: string;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly timeoutMs: number | null;
  readonly ratePerMinute: number | null;
  readonly ratePerHour: number | null;
  readonly userKey: readonly string[] | null;
  readonly userRatePerMinute: number | null;
  readonly userRatePerHour: number | null;
  readonly batchSize: number;
  readonly idempotencyHeader: string | null;
}

/** What came back from one send (a response, or the reason there was none). */
export interface SendOutcome {
  readonly status: number | null;
  readonly contentType: string | null;
  readonly headers: Record<string, string> | null;
  readonly content: string | null;
  readonly timedOut: boolean;
  readonly error: string | null;
}

/** A dead letter as `groundwork jobs dead-letters` lists it. */
export interface DeadLetter {
  readonly id: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly queuedAt: string;
  readonly failedAt: string;
}
