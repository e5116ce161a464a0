import { CronExpressionParser } from "cron-parser";

/** A parsed pg_cron schedule: the latest moment at or before `now` the job was due. */
export interface Schedule {
  latestTick(now: Date): Date;
}

const NAMED: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * Parses what cron.schedule accepts (cron._check_schedule checked it already): '[1-59] seconds'
 * (ticks on multiples of N seconds), @daily-style names, and five-field cron syntax, in UTC as
 * pg_cron's default `cron.timezone` is. pg_cron's `$` (last day of the month) is cron-parser's `L`.
 * Throws on anything else.
 */
export function parseSchedule(schedule: string): Schedule {
  const text = schedule.trim().toLowerCase();
  const seconds = /^([1-9]\d?) seconds?$/.exec(text);
  if (seconds) {
    const periodMs = Number(seconds[1]) * 1000;
    if (periodMs > 59_000) throw new Error(`invalid schedule: ${schedule}`);
    return { latestTick: (now) => new Date(Math.floor(now.getTime() / periodMs) * periodMs) };
  }
  const expression = (NAMED[text] ?? text).replace(/\$/g, "L");
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) throw new Error(`invalid schedule: ${schedule}`);
  // Validate once now, so a bad schedule fails here rather than at every tick.
  CronExpressionParser.parse(expression, { tz: "UTC" });
  return {
    latestTick(now) {
      const parsed = CronExpressionParser.parse(expression, {
        currentDate: new Date(now.getTime() + 1),
        tz: "UTC",
      });
      return parsed.prev().toDate();
    },
  };
}
