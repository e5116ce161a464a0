import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Listener } from "../../src/db/listener.js";
import { Metrics } from "../../src/metrics/index.js";
import { createJobsRunner, type JobsRunner } from "../../src/services/jobs/runner.js";
import { claimTicks } from "../../src/services/jobs/sql/cron.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { eventually } from "./receiver.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// pg_cron's SQL API run by the API process; a second runner on the same database plays a second
// API process, and each tick still runs once.
describe("cron", () => {
  let server: TestServer;
  let second: { runner: JobsRunner; listener: Listener };
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    await sql("create extension if not exists pg_cron with schema pg_catalog");
    await sql(
      "create table public.ticks (id serial primary key, at timestamptz default clock_timestamp(), note text)",
    );
    const listener = new Listener({ pool: server.db.admin });
    const runner = createJobsRunner({
      admin: server.db.admin,
      log: server.app.log,
      listener,
      metrics: new Metrics(),
    });
    runner.start();
    second = { runner, listener };
  });
  afterAll(async () => {
    await second?.runner.stop();
    await second?.listener.close();
    await server?.close();
  });

  it("runs a '1 seconds' job every second, once per tick across two runners, and stops when unscheduled", async () => {
    const [job] = await sql<{ id: string }>(
      "select cron.schedule('every-second', '1 seconds', $$insert into public.ticks (note) values ('çà 🕐')$$) as id",
    );
    await eventually(async () => {
      const [row] = await sql<{ n: number }>("select count(*)::int as n from public.ticks");
      return (row?.n ?? 0) >= 4 ? true : undefined;
    }, 10_000);
    const runs = await sql<{ status: string; return_message: string; at: number; username: string }>(
      `select status, return_message, username, extract(epoch from start_time)::float8 as at
         from cron.job_run_details where jobid = $1 and status <> 'running' order by runid`,
      [job?.id],
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((run) => run.status === "succeeded" && run.return_message === "INSERT 0 1")).toBe(true);
    expect(runs[0]?.username).toBe("postgres");
    // One run per tick although two runners looked at every tick: never more runs than seconds.
    const span = (runs.at(-1)?.at ?? 0) - (runs[0]?.at ?? 0);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(span) + 2);
    expect((await sql<{ note: string }>("select note from public.ticks limit 1"))[0]?.note).toBe("çà 🕐");

    expect((await sql<{ ok: boolean }>("select cron.unschedule('every-second') as ok"))[0]?.ok).toBe(true);
    await sleep(1200);
    const [before] = await sql<{ n: number }>("select count(*)::int as n from public.ticks");
    await sleep(2100);
    const [after] = await sql<{ n: number }>("select count(*)::int as n from public.ticks");
    expect(after?.n).toBe(before?.n);
  });

  it("records a failing command, and alter_job pauses and changes a job", async () => {
    const [job] = await sql<{ id: string }>(
      "select cron.schedule('2 seconds', 'select * from no_such_table') as id",
    );
    const failed = await eventually(async () => {
      const rows = await sql<{ status: string; return_message: string }>(
        "select status, return_message from cron.job_run_details where jobid = $1 and status = 'failed'",
        [job?.id],
      );
      return rows[0];
    }, 6000);
    expect(failed.return_message).toMatch(/relation "no_such_table" does not exist/);

    await sql("select cron.alter_job($1, command => 'select 42', schedule => '1 seconds')", [job?.id]);
    await eventually(async () => {
      const rows = await sql(
        "select 1 from cron.job_run_details where jobid = $1 and return_message = 'SELECT 1'",
        [job?.id],
      );
      return rows.length > 0 ? true : undefined;
    }, 5000);
    await sql("select cron.alter_job($1, active => false)", [job?.id]);
    await sleep(1200);
    const [before] = await sql<{ n: number }>(
      "select count(*)::int as n from cron.job_run_details where jobid = $1",
      [job?.id],
    );
    await sleep(2100);
    const [after] = await sql<{ n: number }>(
      "select count(*)::int as n from cron.job_run_details where jobid = $1",
      [job?.id],
    );
    expect(after?.n).toBe(before?.n);
  });

  it("a tick is claimed by one of many concurrent claimers, and never after a later one", async () => {
    const [job] = await sql<{ id: string }>("select cron.schedule('59 seconds', 'select 1') as id");
    await sql("select cron.alter_job($1, active => false)", [job?.id]);
    const jobid = job?.id ?? "";
    const base = Date.parse("2030-01-01T00:00:00Z");
    let wins = 0;
    for (let i = 0; i < 20; i++) {
      const tick = new Date(base + i * 1000);
      const claims = await Promise.all(
        Array.from({ length: 4 }, () => claimTicks(server.db.admin, [{ jobid, tick }])),
      );
      const winners = claims.filter((claimed) => claimed.has(jobid)).length;
      expect(winners).toBe(1);
      wins += winners;
    }
    expect(wins).toBe(20);
    expect((await claimTicks(server.db.admin, [{ jobid, tick: new Date(base) }])).size).toBe(0);
    await sql("select cron.unschedule($1::bigint)", [jobid]);
  });

  it("refuses bad schedules and commands with pg_cron's errors, scheduling nothing", async () => {
    const [{ n: before } = { n: 0 }] = await sql<{ n: number }>("select count(*)::int as n from cron.job");
    const bad: [string, string, RegExp][] = [
      ["61 * * * *", "select 1", /invalid schedule: 61 \* \* \* \*/],
      ["* * * *", "select 1", /invalid schedule/],
      ["60 seconds", "select 1", /invalid schedule/],
      ["0 seconds", "select 1", /invalid schedule/],
      ["*/0 * * * *", "select 1", /invalid schedule/],
      ["5-1 * * * *", "select 1", /invalid schedule/],
      ["@every 5m", "select 1", /invalid schedule/],
      ["* * * * * *", "select 1", /invalid schedule/],
      ["'; drop table cron.job; --", "select 1", /invalid schedule/],
      ["😀 * * * *", "select 1", /invalid schedule/],
      ["x".repeat(100_000), "select 1", /invalid schedule/],
      ["* * * * *", "", /command must not be empty/],
      ["* * * * *", "x".repeat(1_100_000), /command is too long/],
    ];
    for (const [schedule, command, message] of bad) {
      await expect(sql("select cron.schedule($1, $2)", [schedule, command])).rejects.toThrow(message);
    }
    await expect(sql("select cron.unschedule(987654)")).rejects.toThrow(
      /could not find valid entry for job 987654/,
    );
    await expect(sql("select cron.alter_job(987654, active => false)")).rejects.toThrow(
      /Job 987654 does not exist/,
    );
    const [{ n: after } = { n: 0 }] = await sql<{ n: number }>("select count(*)::int as n from cron.job");
    expect(after).toBe(before);
    // Good ones in every form pg_cron takes.
    for (const schedule of [
      "*/5 * * * *",
      "0 3 * * mon-fri",
      "0 0 $ * *",
      "30 2 1,15 jan,jul *",
      "@hourly",
      "59 seconds",
    ]) {
      await sql("select cron.unschedule(cron.schedule($1, 'select 1'))", [schedule]);
    }
  });
});
