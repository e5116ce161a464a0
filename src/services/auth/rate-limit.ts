import type pg from "pg";
import type { AuthConfig } from "../../config/index.js";
import { PostgresRateLimiter, type RateLimiter } from "../../db/rate-limiter.js";
import { rateLimitError } from "./errors.js";

export { PostgresRateLimiter, type RateLimiter };

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
  /** Codes sent by SMS per hour (`sms_sent`), as GoTrue's global phone limiter. */
  readonly smsSent: RateLimiter;
}

export function createRateLimits(
  config: AuthConfig,
  pool: pg.Pool,
  onRefused?: (bucket: string) => void,
): RateLimits {
  const limits = config.rateLimit;
  const limiter = (bucket: string, limit: number, period: number) =>
    new PostgresRateLimiter(pool, bucket, limit, period, onRefused);
  return {
    signIn: limiter("sign_in", limits.signInSignUps, FIVE_MINUTES),
    signUp: limiter("sign_up", limits.signInSignUps, FIVE_MINUTES),
    perEmail: limiter("per_email", limits.signInSignUps, FIVE_MINUTES),
    tokenRefresh: limiter("token_refresh", limits.tokenRefresh, FIVE_MINUTES),
    recover: limiter("recover", limits.signInSignUps, FIVE_MINUTES),
    verify: limiter("verify", limits.tokenVerifications, FIVE_MINUTES),
    anonymous: limiter("anonymous", limits.anonymousUsers, ONE_HOUR),
    emailSent: limiter("email_sent", limits.emailSent, ONE_HOUR),
    smsSent: limiter("sms_sent", config.sms.smsSent, ONE_HOUR),
  };
}

/** Throws 429 `over_request_rate_limit` (with Retry-After) when `key` has no request left. */
export async function enforce(limiter: RateLimiter, key: string): Promise<void> {
  const wait = await limiter.take(key);
  if (wait !== null) throw rateLimitError("over_request_rate_limit", wait);
}
