import type pg from "pg";

/**
 * A token bucket per key: `limit` requests, refilled evenly over `periodSeconds` (GoTrue's
 * tollbooth limiters work the same way).
 */
export interface RateLimiter {
  readonly limit: number;
  readonly periodSeconds: number;
  /**
   * Takes one request for `key`; resolves to the seconds to wait when none is left, else null.
   * Inside a transaction, pass its client: taking from the pool there could wait for a connection
   * that requests like this one hold.
   */
  take(key: string, client?: pg.ClientBase): Promise<number | null>;
}

/**
 * Refills and takes in one statement, atomically under concurrent requests: the row lock of the
 * upsert serialises takes of one key.
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

/** Buckets untouched for longer than the longest period are full again: dropping them loses nothing. */
const FORGET_SQL = "delete from groundwork.rate_limits where at < now() - interval '1 hour'";

/**
 * Rate limits kept in PostgreSQL (`groundwork.rate_limits`), so every API process of a
 * deployment counts against the same buckets, as a stateless scale-out needs.
 */
export class PostgresRateLimiter implements RateLimiter {
  private takes = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bucket: string,
    readonly limit: number,
    readonly periodSeconds: number,
    /** Told of each refusal (metrics). */
    private readonly onRefused?: (bucket: string) => void,
  ) {}

  async take(key: string, client?: pg.ClientBase): Promise<number | null> {
    const perSecond = this.limit / this.periodSeconds;
    const { rows } = await (client ?? this.pool).query<{ tokens: number; allowed: boolean }>(TAKE_SQL, [
      this.bucket,
      key,
      this.limit,
      perSecond,
    ]);
    if (++this.takes % 1000 === 0) await this.pool.query(FORGET_SQL);
    const row = rows[0];
    if (!row || row.allowed) return null;
    this.onRefused?.(this.bucket);
    return (1 - row.tokens) / perSecond;
  }
}
