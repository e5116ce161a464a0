import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Listener } from "../../src/db/listener.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  pool = new pg.Pool({ connectionString: database.adminUrl, max: 1 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function eventually(check: () => void | Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const listenConnections = async () =>
  (
    await database.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and query like 'listen %'",
    )
  ).rows;

describe("Listener", () => {
  it("carries several channels on one connection, subscribed before and after it opened", async () => {
    const listener = new Listener({ pool });
    const heard: string[] = [];
    const early = listener.subscribe("gw_test_early", (payload) => heard.push(`early:${payload}`));
    await listener.start();
    const late = listener.subscribe("gw_test_late", (payload) => heard.push(`late:${payload}`));
    await listener.start();
    expect([early.listening, late.listening]).toEqual([true, true]);
    expect(await listenConnections()).toHaveLength(1);
    await database.query("select pg_notify('gw_test_early', 'héllo 👋'), pg_notify('gw_test_late', '世界')");
    await eventually(() => expect(heard.sort()).toEqual(["early:héllo 👋", "late:世界"]));
    late.unsubscribe();
    await database.query("select pg_notify('gw_test_late', 'unheard'), pg_notify('gw_test_early', 'x')");
    await eventually(() => expect(heard).toContain("early:x"));
    expect(heard).not.toContain("late:unheard");
    await listener.close();
    expect(listener.state).toBe("closed");
    await eventually(async () => expect(await listenConnections()).toHaveLength(0));
  });

  it("tells subscribers of a dropped connection and of the gap once it is back", async () => {
    const listener = new Listener({ pool });
    const events: string[] = [];
    const subscription = listener.subscribe("gw_test_gap", (payload) => events.push(payload), {
      onLost: () => events.push("lost"),
      onGap: () => events.push("gap"),
    });
    await listener.start();
    expect(events).toEqual([]);
    await database.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %'",
    );
    await eventually(() => expect(events).toContain("lost"));
    expect(subscription.listening).toBe(false);
    await eventually(() => expect(events).toEqual(["lost", "gap"]));
    expect(subscription.listening).toBe(true);
    await database.query("select pg_notify('gw_test_gap', 'after')");
    await eventually(() => expect(events).toEqual(["lost", "gap", "after"]));
    await listener.close();
  });

  it("refuses a channel name it would have to quote", () => {
    const listener = new Listener({ pool });
    expect(() => listener.subscribe("Bad; drop table x", () => {})).toThrow(/invalid channel name/);
  });
});
