import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresRateLimiter } from "../../src/services/auth/rate-limit.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  pool = new pg.Pool({ connectionString: database.adminUrl, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** Moves a bucket's last take into the past, as if `seconds` had gone by. */
async function age(bucket: string, key: string, seconds: number): Promise<void> {
  await database.query(
    "update groundwork.rate_limits set at = at - make_interval(secs => $3) where bucket = $1 and key = $2",
    [bucket, key, seconds],
  );
}

describe("PostgresRateLimiter", () => {
  it("refills a token bucket evenly over its period, per key", async () => {
    const limiter = new PostgresRateLimiter(pool, "test", 3, 300);
    expect([await limiter.take("ip"), await limiter.take("ip"), await limiter.take("ip")]).toEqual([
      null,
      null,
      null,
    ]);
    expect(await limiter.take("ip")).toBeCloseTo(100, 0);
    expect(await limiter.take("other")).toBeNull();
    await age("test", "ip", 99);
    expect(await limiter.take("ip")).toBeCloseTo(1, 0);
    await age("test", "ip", 101);
    expect(await limiter.take("ip")).toBeNull();
  });

  it("is shared by every limiter (every process) on the same database", async () => {
    const first = new PostgresRateLimiter(pool, "shared", 2, 60);
    const second = new PostgresRateLimiter(pool, "shared", 2, 60);
    expect(await first.take("k")).toBeNull();
    expect(await second.take("k")).toBeNull();
    expect(await first.take("k")).not.toBeNull();
    expect(await second.take("k")).not.toBeNull();
  });

  it("counts concurrent takes exactly", async () => {
    const limiter = new PostgresRateLimiter(pool, "race", 5, 3600);
    const results = await Promise.all(Array.from({ length: 12 }, () => limiter.take("k")));
    expect(results.filter((wait) => wait === null)).toHaveLength(5);
  });
});
