import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/free-port.js";
import { startTestServer, type TestServer, testClient } from "../harness/server.js";
import { type ApiProcess, startApiProcess } from "./fixtures/processes.js";
import { closeClient, Inbox, settle, subscribed } from "./helpers.js";

// Two API processes on one database: the in-process test server and a real second OS process.
let server: TestServer;
let second: ApiProcess;
const clients: SupabaseClient[] = [];
function clientOf(url: string): SupabaseClient {
  const client = testClient(url, server.anonKey);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
  await server.database.query(`
    create table public.board (id int primary key, note text);
    alter publication supabase_realtime add table public.board;`);
  second = await startApiProcess(server.database);
}, 60_000);
afterAll(async () => {
  for (const client of clients) await closeClient(client);
  await second?.stop();
  await server.close();
});

describe("two API processes on one database", () => {
  it("carry a broadcast from a socket on one to a socket on the other, both ways", async () => {
    const onFirst = new Inbox<Record<string, unknown>>();
    const onSecond = new Inbox<Record<string, unknown>>();
    const a = await subscribed(
      clientOf(server.url).channel("x-room").on("broadcast", { event: "m" }, onFirst.push),
    );
    const b = await subscribed(
      clientOf(second.url).channel("x-room").on("broadcast", { event: "m" }, onSecond.push),
    );
    await settle(200);
    await a.send({ type: "broadcast", event: "m", payload: { from: "first 🅰" } });
    await b.send({ type: "broadcast", event: "m", payload: { from: "second 🅱" } });
    expect((await onSecond.waitFor(1))[0]?.payload).toEqual({ from: "first 🅰" });
    expect((await onFirst.waitFor(1))[0]?.payload).toEqual({ from: "second 🅱" });
  });

  it("share presence, including the leave of a socket that went away", async () => {
    const leaves = new Inbox<string>();
    const watcher = clientOf(server.url)
      .channel("x-lobby", { config: { presence: { key: "watcher" } } })
      .on("presence", { event: "leave" }, ({ key }) => leaves.push(key));
    await subscribed(watcher);
    const remoteClient = clientOf(second.url);
    const remote = await subscribed(
      remoteClient
        .channel("x-lobby", { config: { presence: { key: "remote" } } })
        .on("presence", { event: "sync" }, () => {}),
    );
    await remote.track({ where: "second process" });
    const deadline = Date.now() + 5_000;
    while (!watcher.presenceState().remote && Date.now() < deadline) await settle(50);
    expect(watcher.presenceState().remote?.[0]).toMatchObject({ where: "second process" });
    await remoteClient.realtime.disconnect();
    await leaves.waitFor(1);
    expect(watcher.presenceState().remote).toBeUndefined();
  });

  it("deliver a change and a broadcast from the database to subscribers of each, once", async () => {
    const first = new Inbox<unknown>();
    const other = new Inbox<unknown>();
    const firstSql = new Inbox<unknown>();
    const otherSql = new Inbox<unknown>();
    await subscribed(
      clientOf(server.url)
        .channel("x-board")
        .on("postgres_changes", { event: "INSERT", schema: "public", table: "board" }, first.push)
        .on("broadcast", { event: "sql" }, firstSql.push),
    );
    await subscribed(
      clientOf(second.url)
        .channel("x-board")
        .on("postgres_changes", { event: "INSERT", schema: "public", table: "board" }, other.push)
        .on("broadcast", { event: "sql" }, otherSql.push),
    );
    await server.database.query("insert into public.board values (1, 'ünï')");
    await server.database.query("select realtime.send('{}'::jsonb, 'sql', 'x-board', false)");
    await Promise.all([first.waitFor(1), other.waitFor(1), firstSql.waitFor(1), otherSql.waitFor(1)]);
    await settle(500);
    expect([first.items.length, other.items.length, firstSql.items.length, otherSql.items.length]).toEqual([
      1, 1, 1, 1,
    ]);
  });
});

describe("a server restart", () => {
  it("closes the sockets; realtime-js reconnects and rejoins on its own", async () => {
    const port = await freePort();
    let process = await startApiProcess(server.database, port);
    const client = clientOf(process.url);
    const inbox = new Inbox<Record<string, unknown>>();
    const statuses: string[] = [];
    client
      .channel("survivor")
      .on("postgres_changes", { event: "INSERT", schema: "public", table: "board" }, (change) =>
        inbox.push(change.new),
      )
      .subscribe((status) => statuses.push(status));
    const joinedAt = Date.now();
    while (!statuses.includes("SUBSCRIBED") && Date.now() - joinedAt < 10_000) await settle(50);
    expect(statuses).toContain("SUBSCRIBED");

    await process.stop();
    process = await startApiProcess(server.database, port);
    try {
      // Insert until the rejoined channel receives one (bounded): realtime-js backs off 1 s, 2 s...
      const deadline = Date.now() + 30_000;
      let id = 100;
      while (inbox.items.length === 0 && Date.now() < deadline) {
        id += 1;
        await server.database.query("insert into public.board values ($1, 'after restart')", [id]);
        await settle(500);
      }
      expect(inbox.items[0]).toMatchObject({ note: "after restart" });
    } finally {
      await closeClient(client);
      await process.stop();
    }
  }, 60_000);
});
