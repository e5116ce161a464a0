import type { FastifyRequest } from "fastify";
import type pg from "pg";
import { actorOf } from "./audit.js";
import { errors } from "./errors.js";

/**
 * Refills and takes one token in one statement, in the same `groundwork.rate_limits` table as
 * auth's limits (shared by every API process of a deployment); the upsert's row lock serialises
 * concurrent takes of one key. (Auth keeps its own copy of this statement: services do not import
 * each other's files.)
 */
const TAKE_SQL = `
  insert into groundwork.rate_limits as r (bucket, key, tokens, allowed, at)
  values ($1, $2, $3::float8 - 1, true, now())
  on conflict (bucket, key) do update set
    tokens = least($3, r.tokens + extract(epoch from now() - r.at) * $4)
             - case when least($3, r.tokens + extract(epoch from now() - r.at) * $4) >= 1 then 1 else 0 end,
    allowed = least($3, r.tokens + extract(epoch from now() - r.at) * $4) >= 1,
    at = now()
  returning tokens, allowed`;

/**
 * Upload rate limits (`groundwork.toml` `[storage.rate_limit] uploads_per_minute`): a token bucket
 * per user and one per client IP, refilled evenly over a minute. Off when the limit is 0.
 */
export class UploadRateLimit {
  constructor(
    private readonly pool: pg.Pool,
    private readonly perMinute: number,
  ) {}

  /** Takes an upload for the request's user and IP; throws `SlowDown` (429, Retry-After) when out. */
  async take(request: FastifyRequest): Promise<void> {
    if (this.perMinute <= 0) return;
    const actor = actorOf(request);
    const keys: [string, string][] = [["storage_upload_ip", actor.ip]];
    if (actor.sub) keys.push(["storage_upload_user", actor.sub]);
    const perSecond = this.perMinute / 60;
    for (const [bucket, key] of keys) {
      const { rows } = await this.pool.query<{ tokens: number; allowed: boolean }>(TAKE_SQL, [
        bucket,
        key,
        this.perMinute,
        perSecond,
      ]);
      const row = rows[0];
      if (row && !row.allowed)
        throw errors.tooManyUploads(Math.max(1, Math.ceil((1 - row.tokens) / perSecond)));
    }
  }
}
