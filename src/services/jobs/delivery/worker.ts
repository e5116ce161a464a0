import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { FastifyBaseLogger } from "fastify";
import type pg from "pg";
import type { Listener, Subscription } from "../../../db/listener.js";
import type { Metrics } from "../../../metrics/index.js";
import {
  claimRequests,
  pruneResponses,
  releaseRequests,
  retryRequests,
  takeTokens,
} from "../sql/requests.js";
import type { ClaimedRequest, HttpPolicy } from "../types.js";
import { backoffMs, isRetryable } from "./backoff.js";
import { OriginSlots, originOf } from "./origin-slots.js";
import { OutcomeWriter } from "./outcome-writer.js";
import { batchKeyOf, bucketsFor, loadPolicies, policyFor, SINGLE_SHOT } from "./policies.js";
import { headerValues, sendRequest } from "./send.js";
import { WakeUp } from "./wake-up.js";

/*
 * Why not graphile-worker or pg-boss: the rows to deliver are written by pg_net's SQL API
 * (net.http_post inside the caller's transaction, from triggers and plain SQL), into the table
 * shape pg_net users query, by an extension script that must work before any library schema
 * exists. Both libraries own their own job tables and would need a second copy of each request;
 * and neither has rate limits that several processes share, which must act at claim time. What
 * they would give (SKIP LOCKED claims, leases, backoff) is the few statements in sql/requests.ts.
 */

export interface DeliveryOptions {
  readonly pool: pg.Pool;
  readonly log: FastifyBaseLogger;
  /** The process's LISTEN connection: `groundwork_net` is notified when requests are queued. */
  readonly listener: Listener;
  readonly metrics: Metrics;
  /** This process's name in `locked_by`. */
  readonly workerId: string;
  /** Sends in flight at once in this process. */
  readonly maxInFlight?: number;
  /** Sends in flight to one origin at once, so a destination that hangs cannot take every slot. */
  readonly maxPerOrigin?: number;
  /** How often to look for due requests without a notification (retries come due silently). */
  readonly pollMs?: number;
  /**
   * How long a lease outlasts the request's timeout. Another process resends a request only after
   * its lease ran out, so this is how soon a request whose sender died (SIGKILL) is sent again.
   */
  readonly leaseMarginMs?: number;
}

const POLICY_REFRESH_MS = 5_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const RESPONSE_TTL_SECONDS = 6 * 3600;

/**
 * Delivers the requests queued through pg_net's SQL API: claims due rows, sends them
 * concurrently (each with its own timeout), and records each outcome; retries, rate limits and
 * batches follow the destination's policy. Any number of processes may run one.
 */
export class DeliveryWorker {
  readonly #options: Required<DeliveryOptions>;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #subscription: Subscription | null = null;
  readonly #outcomes;
  readonly #seconds;
  readonly #wakeUp = new WakeUp();
  readonly #slots: OriginSlots;
  readonly #writer: OutcomeWriter;
  #loop: Promise<void> | null = null;
  #policies: HttpPolicy[] = [];
  #policiesAt = 0;
  #prunedAt = 0;
  #warnedForeign = false;

  constructor(options: DeliveryOptions) {
    this.#options = {
      ...options,
      maxInFlight: options.maxInFlight ?? 128,
      maxPerOrigin: options.maxPerOrigin ?? 32,
      pollMs: options.pollMs ?? 1000,
      leaseMarginMs: options.leaseMarginMs ?? 30_000,
    };
    this.#slots = new OriginSlots(this.#options.maxPerOrigin);
    this.#writer = new OutcomeWriter(options.pool, options.workerId);
    // Every send listens for the stop; there are as many as maxInFlight at once.
    setMaxListeners(0, this.#stop.signal);
    this.#outcomes = options.metrics.counter(
      "groundwork_jobs_http_requests_total",
      "Requests queued through pg_net, by what an attempt came to",
      ["outcome"],
    );
    this.#seconds = options.metrics.histogram(
      "groundwork_jobs_http_send_duration_seconds",
      "Time from sending a request to its response (or failure)",
    );
  }

  /** Starts listening and the claim loop in the background. */
  start(): void {
    this.#subscription = this.#options.listener.subscribe(
      "groundwork_net",
      (payload) => {
        if (payload === "policies") this.#policiesAt = 0;
        this.#wakeUp.wake();
      },
      {
        onGap: () => {
          this.#policiesAt = 0;
          this.#wakeUp.wake();
        },
      },
    );
    this.#options.listener.start().catch(() => {});
    this.#loop = this.#run();
  }

  /** Stops claiming; sends under way are cut short and handed back unsent, for a retry. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wakeUp.wake();
    this.#subscription?.unsubscribe();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const free = this.#options.maxInFlight - this.#inFlight.size;
      if (free <= 0) {
        await Promise.race([...this.#inFlight, this.#wakeUp.sleep(this.#options.pollMs)]);
        this.#wakeUp.cancel();
        continue;
      }
      let claimed: ClaimedRequest[] = [];
      try {
        await this.#housekeeping();
        claimed = await claimRequests(
          this.#options.pool,
          this.#options.workerId,
          Math.min(free, 100),
          this.#maxPolicyTimeout(),
          this.#options.leaseMarginMs,
        );
      } catch (error) {
        await this.#wakeUp.sleep(this.#pauseAfter(error as Error & { code?: string }));
        continue;
      }
      if (claimed.length === 0) {
        await this.#wakeUp.sleep(this.#options.pollMs);
        continue;
      }
      // Policies read after the claim include every policy committed before the claimed requests
      // were queued, whether or not its NOTIFY has arrived yet (under load it can come after the
      // requests' own wake-up, and a rate limit would then be missed for this claim).
      await loadPolicies(this.#options.pool).then(
        (policies) => {
          this.#policies = policies;
          this.#policiesAt = Date.now();
        },
        () => {}, // the cached policies stay; the next housekeeping tries again
      );
      this.#dispatch(claimed);
    }
  }

  /** How long to wait after a failed claim: pg_net not created yet, pg_net's own worker, or trouble. */
  #pauseAfter(error: Error & { code?: string }): number {
    if (error.code === "42P01" || error.code === "3F000") return this.#options.pollMs * 5;
    if (error.code === "42703") {
      if (!this.#warnedForeign) {
        this.#options.log.warn(
          "net.http_request_queue is pg_net's own: its background worker delivers, not Groundwork",
        );
        this.#warnedForeign = true;
      }
      return 60_000;
    }
    if (!this.#stop.signal.aborted) this.#options.log.warn({ err: error }, "jobs: claiming requests failed");
    return this.#options.pollMs * 2;
  }

  async #housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.#policiesAt > POLICY_REFRESH_MS) {
      this.#policies = await loadPolicies(this.#options.pool);
      this.#policiesAt = now;
    }
    if (now - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      await pruneResponses(this.#options.pool, RESPONSE_TTL_SECONDS);
    }
  }

  #maxPolicyTimeout(): number {
    return Math.max(0, ...this.#policies.map((policy) => policy.timeoutMs ?? 0));
  }

  /** Groups claimed requests (batches per URL where the policy batches) and starts each send. */
  #dispatch(claimed: readonly ClaimedRequest[]): void {
    const groups: { policy: HttpPolicy; requests: ClaimedRequest[] }[] = [];
    const openBatches = new Map<string, { policy: HttpPolicy; requests: ClaimedRequest[] }>();
    for (const request of claimed) {
      const policy = policyFor(this.#policies, request.url);
      if (policy.batchSize <= 1 || request.method !== "POST") {
        groups.push({ policy, requests: [request] });
        continue;
      }
      const key = batchKeyOf(policy, request.url, request.body);
      let batch = openBatches.get(key);
      if (!batch || batch.requests.length >= policy.batchSize) {
        batch = { policy, requests: [] };
        openBatches.set(key, batch);
        groups.push(batch);
      }
      batch.requests.push(request);
    }
    for (const group of groups) this.#track(this.#deliver(group.policy, group.requests));
  }

  #track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.#options.log.warn({ err: error }, "jobs: recording a delivery failed"))
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.#wakeUp.wake();
      });
    this.#inFlight.add(tracked);
  }

  async #deliver(policy: HttpPolicy, requests: readonly ClaimedRequest[]): Promise<void> {
    const { pool, workerId } = this.#options;
    const ids = requests.map((request) => request.id);
    const first = requests[0];
    if (!first) return;
    const origin = originOf(first.url);
    if (!(await this.#slots.acquire(origin))) {
      const delay = 100 + Math.random() * 200;
      await releaseRequests(pool, workerId, ids, delay);
      this.#wakeUp.wakeAfter(delay, this.#options.pollMs);
      this.#outcomes.inc({ outcome: "deferred_busy" }, ids.length);
      return;
    }
    const buckets = bucketsFor(
      policy,
      requests.map((request) => request.body),
    );
    if (buckets.length > 0) {
      const waitSeconds = await takeTokens(pool, buckets).catch((error: unknown) => {
        this.#slots.release(origin);
        throw error;
      });
      if (waitSeconds > 0) {
        this.#slots.release(origin);
        const delay = waitSeconds * 1000 + Math.random() * 100;
        await releaseRequests(pool, workerId, ids, delay);
        this.#wakeUp.wakeAfter(delay, this.#options.pollMs);
        this.#outcomes.inc({ outcome: "deferred_rate_limit" }, ids.length);
        return;
      }
    }
    let outcome: Awaited<ReturnType<typeof sendRequest>>;
    const sendStarted = performance.now();
    try {
      outcome = await sendRequest({
        method: first.method,
        url: first.url,
        headers: this.#headers(policy, requests),
        body: policy.batchSize > 1 && first.method === "POST" ? batchBody(requests) : first.body,
        timeoutMs: policy.timeoutMs ?? Math.max(...requests.map((request) => request.timeoutMs)),
        stop: this.#stop.signal,
      });
    } finally {
      this.#slots.release(origin);
      this.#seconds.observe((performance.now() - sendStarted) / 1000);
    }
    if (this.#stop.signal.aborted && outcome.status === null) {
      await releaseRequests(pool, workerId, ids, 0);
      return;
    }
    const delivered = outcome.status !== null && (policy === SINGLE_SHOT || outcome.status < 400);
    const attempts = Math.max(...requests.map((request) => request.attempts));
    if (!delivered && isRetryable(outcome.status) && attempts < policy.maxAttempts) {
      const reason = outcome.error ?? `HTTP ${outcome.status}`;
      const delay = backoffMs(attempts, policy.backoffBaseMs, policy.backoffMaxMs);
      await retryRequests(pool, workerId, ids, delay, reason);
      this.#wakeUp.wakeAfter(delay, this.#options.pollMs);
      this.#outcomes.inc({ outcome: "retried" }, ids.length);
      return;
    }
    const deadLetter = !delivered && policy !== SINGLE_SHOT;
    await this.#writer.write(ids.map((id) => ({ id, outcome, deadLetter })));
    const result = delivered ? "delivered" : deadLetter ? "dead_letter" : "failed";
    this.#outcomes.inc({ outcome: result }, ids.length);
  }

  #headers(policy: HttpPolicy, requests: readonly ClaimedRequest[]): Record<string, string> {
    const headers = headerValues(requests[0]?.headers ?? {});
    if (policy.idempotencyHeader) {
      const keys = requests.map((request) => request.idempotencyKey);
      headers[policy.idempotencyHeader] =
        keys.length === 1
          ? (keys[0] ?? "")
          : createHash("sha256").update(keys.sort().join(",")).digest("hex");
    }
    return headers;
  }
}

/** The JSON array of the batched requests' bodies (each body is a JSON document). */
function batchBody(requests: readonly ClaimedRequest[]): Buffer {
  return Buffer.from(`[${requests.map((request) => request.body?.toString("utf8") ?? "null").join(",")}]`);
}
