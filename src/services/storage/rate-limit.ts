import type { FastifyRequest } from "fastify";
import type pg from "pg";
import { PostgresRateLimiter } from "../../db/rate-limiter.js";
import { actorOf } from "./audit.js";
import { errors } from "./errors.js";

/**
 * Upload rate limits (`groundwork.toml` `[storage.rate_limit] uploads_per_minute`): a token bucket
 * per user and one per client IP, refilled evenly over a minute. Off when the limit is 0.
 */
export class UploadRateLimit {
  readonly #perIp: PostgresRateLimiter;
  readonly #perUser: PostgresRateLimiter;

  constructor(
    pool: pg.Pool,
    private readonly perMinute: number,
  ) {
    this.#perIp = new PostgresRateLimiter(pool, "storage_upload_ip", perMinute, 60);
    this.#perUser = new PostgresRateLimiter(pool, "storage_upload_user", perMinute, 60);
  }

  /** Takes an upload for the request's user and IP; throws `SlowDown` (429, Retry-After) when out. */
  async take(request: FastifyRequest): Promise<void> {
    if (this.perMinute <= 0) return;
    const actor = actorOf(request);
    const takes: [PostgresRateLimiter, string][] = [[this.#perIp, actor.ip]];
    if (actor.sub) takes.push([this.#perUser, actor.sub]);
    for (const [limiter, key] of takes) {
      const wait = await limiter.take(key);
      if (wait !== null) throw errors.tooManyUploads(Math.max(1, Math.ceil(wait)));
    }
  }
}
