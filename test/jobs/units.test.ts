import { describe, expect, it } from "vitest";
import { backoffMs, isRetryable } from "../../src/services/jobs/delivery/backoff.js";
import { OriginSlots, originOf } from "../../src/services/jobs/delivery/origin-slots.js";
import { bucketsFor, policyFor, SINGLE_SHOT } from "../../src/services/jobs/delivery/policies.js";
import { WakeUp } from "../../src/services/jobs/delivery/wake-up.js";
import type { HttpPolicy } from "../../src/services/jobs/types.js";

describe("backoff", () => {
  it("doubles from the base up to the cap, half fixed and half random", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 10_000, () => 0))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 10_000, () => 0.999_999))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(40, 100, 5000, () => 1)).toBe(5000);
  });

  it("retries no answer, 408, 429 and 5xx only", () => {
    expect([null, 408, 429, 500, 503].every(isRetryable)).toBe(true);
    expect([200, 301, 400, 401, 404, 422].some(isRetryable)).toBe(false);
  });
});

describe("policies", () => {
  const policy = (urlPrefix: string, extra: Partial<HttpPolicy> = {}): HttpPolicy => ({
    ...SINGLE_SHOT,
    urlPrefix,
    ...extra,
  });

  it("picks the longest prefix, else pg_net's single shot", () => {
    const policies = [policy("http://a/functions/v1/notify"), policy("http://a/")];
    expect(policyFor(policies, "http://a/functions/v1/notify?x=1").urlPrefix).toBe(
      "http://a/functions/v1/notify",
    );
    expect(policyFor(policies, "http://a/other").urlPrefix).toBe("http://a/");
    expect(policyFor(policies, "http://b/")).toBe(SINGLE_SHOT);
  });

  it("draws from the destination's buckets and one per user found in the bodies", () => {
    const limited = policy("http://a/", {
      ratePerMinute: 60,
      userKey: ["record", "user_id"],
      userRatePerMinute: 60,
      userRatePerHour: 1000,
    });
    const body = (user: unknown) => Buffer.from(JSON.stringify({ record: { user_id: user } }));
    const buckets = bucketsFor(limited, [
      body("zoë 👋"),
      body("zoë 👋"),
      body(7),
      Buffer.from("not json"),
      null,
    ]);
    expect(buckets.map((b) => b.key)).toEqual([
      "dest|http://a/|m",
      "user|http://a/|zoë 👋|m",
      "user|http://a/|zoë 👋|h",
      "user|http://a/|7|m",
      "user|http://a/|7|h",
    ]);
    expect(buckets[0]).toEqual({ key: "dest|http://a/|m", capacity: 60, perSecond: 1 });
    expect(bucketsFor(SINGLE_SHOT, [body("x")])).toEqual([]);
  });
});

describe("origin slots", () => {
  it("lets perOrigin sends go, as many wait, and refuses more", async () => {
    const slots = new OriginSlots(2);
    expect(await slots.acquire("http://a")).toBe(true);
    expect(await slots.acquire("http://a")).toBe(true);
    const waiting = [slots.acquire("http://a"), slots.acquire("http://a")];
    expect(await slots.acquire("http://a")).toBe(false);
    expect(await slots.acquire("http://b")).toBe(true);
    slots.release("http://a");
    slots.release("http://a");
    expect(await Promise.all(waiting)).toEqual([true, true]);
    expect(originOf("https://x.test:8443/a?b")).toBe("https://x.test:8443");
    expect(originOf("not a url")).toBe("not a url");
  });
});

describe("wake-up", () => {
  it("keeps a wake that comes while nobody sleeps", async () => {
    const wake = new WakeUp();
    wake.wake();
    const started = Date.now();
    await wake.sleep(5000);
    expect(Date.now() - started).toBeLessThan(100);
    const sleeping = wake.sleep(5000);
    wake.wake();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe("[jobs] configuration", () => {
  it("is on by default, off with GROUNDWORK_JOBS_ENABLED=false or [jobs] enabled = false", async () => {
    const { loadConfig } = await import("../../src/config/index.js");
    const { tempProject } = await import("../harness/project.js");
    const project = tempProject({ configToml: "" });
    try {
      expect((await loadConfig(project.dir, {})).jobs.enabled).toBe(true);
      expect((await loadConfig(project.dir, { GROUNDWORK_JOBS_ENABLED: "false" })).jobs.enabled).toBe(false);
      project.write("groundwork.toml", "[jobs]\nenabled = false\n");
      expect((await loadConfig(project.dir, {})).jobs.enabled).toBe(false);
      project.write("groundwork.toml", '[jobs]\nenabled = "maybe"\n');
      await expect(loadConfig(project.dir, {})).rejects.toThrow(/jobs\.enabled/);
    } finally {
      project.remove();
    }
  });
});
