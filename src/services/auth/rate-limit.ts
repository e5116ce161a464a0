import type { AuthConfig } from "../../config/index.js";
import { rateLimitError } from "./errors.js";

/**
 * A token bucket per key: `limit` requests, refilled evenly over `periodSeconds` (GoTrue's
 * tollbooth limiters work the same way). State lives in this process, as GoTrue's does; behind a
 * load balancer each process counts on its own.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly limit: number,
    readonly periodSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = limit / (periodSeconds * 1000);
  }

  /** Takes one request for `key`; returns the seconds to wait when none is left, else null. */
  take(key: string): number | null {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(this.limit, bucket.tokens + (now - bucket.at) * this.perMs) : this.limit;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return (1 - tokens) / this.perMs / 1000;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return null;
  }

  /** Drops buckets that have refilled completely; they carry no information. */
  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.limit) this.buckets.delete(key);
    }
  }
}

const FIVE_MINUTES = 300;
const ONE_HOUR = 3600;

/**
 * The limiters of the auth service, from `[auth.rate_limit]`. Each endpoint counts per client
 * IP; sign-in, sign-up and recover also count per email address, so rotating addresses (or a
 * spoofed `X-Forwarded-For`) does not lift the limit for one account.
 */
export interface RateLimits {
  readonly signIn: RateLimiter;
  readonly signUp: RateLimiter;
  readonly perEmail: RateLimiter;
  readonly tokenRefresh: RateLimiter;
  readonly recover: RateLimiter;
  readonly verify: RateLimiter;
  readonly anonymous: RateLimiter;
  /** All outgoing mail of the process, per hour (`email_sent`), as GoTrue's global email limiter. */
  readonly emailSent: RateLimiter;
}

export function createRateLimits(config: AuthConfig): RateLimits {
  const limits = config.rateLimit;
  return {
    signIn: new RateLimiter(limits.signInSignUps, FIVE_MINUTES),
    signUp: new RateLimiter(limits.signInSignUps, FIVE_MINUTES),
    perEmail: new RateLimiter(limits.signInSignUps, FIVE_MINUTES),
    tokenRefresh: new RateLimiter(limits.tokenRefresh, FIVE_MINUTES),
    recover: new RateLimiter(limits.signInSignUps, FIVE_MINUTES),
    verify: new RateLimiter(limits.tokenVerifications, FIVE_MINUTES),
    anonymous: new RateLimiter(limits.anonymousUsers, ONE_HOUR),
    emailSent: new RateLimiter(limits.emailSent, ONE_HOUR),
  };
}

/** Throws 429 `over_request_rate_limit` (with Retry-After) when `key` has no request left. */
export function enforce(limiter: RateLimiter, key: string): void {
  const wait = limiter.take(key);
  if (wait !== null) throw rateLimitError("over_request_rate_limit", wait);
}
