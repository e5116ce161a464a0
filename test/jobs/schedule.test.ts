import { describe, expect, it } from "vitest";
import { parseSchedule } from "../../src/services/jobs/cron/schedule.js";

const at = (iso: string) => new Date(iso);

describe("parseSchedule", () => {
  it.each([
    ["*/5 * * * *", "2026-03-04T10:17:31Z", "2026-03-04T10:15:00.000Z"],
    ["0 3 * * mon-fri", "2026-03-07T12:00:00Z", "2026-03-06T03:00:00.000Z"],
    ["0 0 $ * *", "2026-03-04T10:00:00Z", "2026-02-28T00:00:00.000Z"],
    ["@daily", "2026-03-04T10:00:00Z", "2026-03-04T00:00:00.000Z"],
    ["@hourly", "2026-03-04T10:59:59Z", "2026-03-04T10:00:00.000Z"],
    ["30 2 1,15 jan,jul *", "2026-07-20T00:00:00Z", "2026-07-15T02:30:00.000Z"],
    ["* * * * *", "2026-03-04T10:17:00Z", "2026-03-04T10:17:00.000Z"],
    ["1 seconds", "2026-03-04T10:17:31.640Z", "2026-03-04T10:17:31.000Z"],
    ["10 seconds", "2026-03-04T10:17:39.999Z", "2026-03-04T10:17:30.000Z"],
  ])("%s at %s was last due %s", (schedule, now, expected) => {
    expect(parseSchedule(schedule).latestTick(at(now)).toISOString()).toBe(expected);
  });

  it.each(["61 * * * *", "60 seconds", "* * * *", "bogus", ""])("rejects %j", (schedule) => {
    expect(() => parseSchedule(schedule)).toThrow();
  });
});
