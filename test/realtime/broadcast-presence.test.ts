import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { closeClient, Inbox, settle, subscribed } from "./helpers.js";

let server: TestServer;
const clients: SupabaseClient[] = [];
function client(): SupabaseClient {
  const made = server.client();
  clients.push(made);
  return made;
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const made of clients) await closeClient(made);
  await server.close();
});

describe("broadcast through supabase-js", () => {
  it("reaches the other subscribers, not the sender unless self, with non-ASCII text intact", async () => {
    const a = client();
    const b = client();
    const fromA = new Inbox<Record<string, unknown>>();
    const fromB = new Inbox<Record<string, unknown>>();
    const chA = await subscribed(a.channel("room-1").on("broadcast", { event: "chat" }, fromA.push));
    await subscribed(b.channel("room-1").on("broadcast", { event: "chat" }, fromB.push));

    const status = await chA.send({
      type: "broadcast",
      event: "chat",
      payload: { text: "héllo 👋 世界 שלום" },
    });
    expect(status).toBe("ok");
    const [received] = await fromB.waitFor(1);
    expect(received).toMatchObject({
      type: "broadcast",
      event: "chat",
      payload: { text: "héllo 👋 世界 שלום" },
    });
    await settle(300);
    expect(fromA.items).toHaveLength(0);
  });

  it("echoes to the sender with self, and acks with ack", async () => {
    const a = client();
    const inbox = new Inbox<Record<string, unknown>>();
    const channel = await subscribed(
      a
        .channel("room-self", { config: { broadcast: { self: true, ack: true } } })
        .on("broadcast", { event: "ping" }, inbox.push),
    );
    expect(await channel.send({ type: "broadcast", event: "ping", payload: { n: 1 } })).toBe("ok");
    const [echo] = await inbox.waitFor(1);
    expect(echo?.payload).toEqual({ n: 1 });
  });

  it("keeps channels of one name apart from other names", async () => {
    const a = client();
    const b = client();
    const other = new Inbox<unknown>();
    const chA = await subscribed(a.channel("room-x"));
    await subscribed(b.channel("room-y").on("broadcast", { event: "*" }, other.push));
    await chA.send({ type: "broadcast", event: "e", payload: {} });
    await settle(300);
    expect(other.items).toHaveLength(0);
  });

  it("is sent by the HTTP endpoint and by realtime.send in the database", async () => {
    const a = client();
    const inbox = new Inbox<Record<string, unknown>>();
    await subscribed(a.channel("news").on("broadcast", { event: "*" }, inbox.push));

    const response = await fetch(`${server.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: server.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic: "news", event: "http", payload: { from: "curl ✓" } }] }),
    });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    await server.database.query("select realtime.send('{\"from\": \"sql ✓\"}'::jsonb, 'sql', 'news', false)");

    const received = await inbox.waitFor(2);
    const byEvent = Object.fromEntries(received.map((m) => [m.event, m]));
    expect(byEvent.http?.payload).toEqual({ from: "curl ✓" });
    expect(byEvent.sql?.payload).toMatchObject({ from: "sql ✓" });
    expect(byEvent.sql?.meta).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("refuses an HTTP broadcast that is not a list of messages", async () => {
    const response = await fetch(`${server.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: server.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ messages: "nope" }),
    });
    expect(response.status).toBe(422);
  });
});

describe("presence through supabase-js", () => {
  it("syncs tracked state to others and sends a leave when a socket goes away", async () => {
    const a = client();
    const b = client();
    const chA = a.channel("lobby", { config: { presence: { key: "alice" } } });
    const joins = new Inbox<string>();
    const leaves = new Inbox<string>();
    const chB = b
      .channel("lobby", { config: { presence: { key: "bob" } } })
      .on("presence", { event: "join" }, ({ key }) => joins.push(key))
      .on("presence", { event: "leave" }, ({ key }) => leaves.push(key));
    await subscribed(chB);
    await subscribed(chA.on("presence", { event: "sync" }, () => {}));
    expect(await chA.track({ name: "Álice 🌸", online_at: 1 })).toBe("ok");
    await joins.waitFor(1);
    expect(joins.items).toContain("alice");
    const state = chB.presenceState<{ name: string }>();
    expect(state.alice?.[0]?.name).toBe("Álice 🌸");
    expect(state.alice?.[0]).toHaveProperty("presence_ref");

    await a.realtime.disconnect();
    await leaves.waitFor(1);
    expect(leaves.items).toContain("alice");
    expect(chB.presenceState().alice).toBeUndefined();
  });

  it("gives a late joiner the whole state, and untrack removes it", async () => {
    const a = client();
    const b = client();
    const chA = await subscribed(a.channel("hall").on("presence", { event: "sync" }, () => {}));
    await chA.track({ status: "here" });
    const synced = new Inbox<number>();
    const chB = b.channel("hall").on("presence", { event: "sync" }, () => synced.push(1));
    await subscribed(chB);
    await synced.waitFor(1);
    expect(Object.values(chB.presenceState()).flat()).toEqual([expect.objectContaining({ status: "here" })]);
    await chA.untrack();
    await synced.waitFor(2);
    expect(chB.presenceState()).toEqual({});
  });
});
