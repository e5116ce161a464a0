import type { RealtimePostgresChangesPayload, SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { closeClient, Inbox, settle, signIn, subscribed } from "./helpers.js";

const ACME = "00000000-0000-4000-8000-00000000a001";
const GLOBEX = "00000000-0000-4000-8000-00000000b001";
type Change = RealtimePostgresChangesPayload<Record<string, unknown>>;

let server: TestServer;
const clients: SupabaseClient[] = [];
async function signedIn(email: string): Promise<SupabaseClient> {
  const client = server.client();
  clients.push(client);
  await signIn(client, email);
  return client;
}

async function insertContact(tenant: string, firstName: string, status = "cold"): Promise<number> {
  const { rows } = await server.database.query<{ id: string }>(
    `insert into public.contacts (tenant_id, first_name, last_name, status, tags)
     values ($1, $2, 'Ñúñez', $3, '{vip,"a b"}') returning id`,
    [tenant, firstName, status],
  );
  return Number(rows[0]?.id);
}

beforeAll(async () => {
  // The example's migrations put public.contacts in the supabase_realtime publication.
  server = await startTestServer();
  await server.database.query(`
    create table public.notices (id int primary key, body text, secret text, level int);
    revoke select on public.notices from anon, authenticated;
    grant select (id, body, level) on public.notices to anon, authenticated;
    alter publication supabase_realtime add table public.notices;`);
});
afterAll(async () => {
  for (const client of clients) await closeClient(client);
  await server.close();
});

describe("postgres_changes through supabase-js", () => {
  it("delivers a change only to subscribers whose RLS lets them see the row, in Supabase's shape", async () => {
    const acme = await signedIn("admin@test.local");
    const globex = await signedIn("globex.admin@test.local");
    const acmeInbox = new Inbox<Change>();
    const globexInbox = new Inbox<Change>();
    await subscribed(
      acme
        .channel("acme-contacts")
        .on("postgres_changes", { event: "INSERT", schema: "public", table: "contacts" }, acmeInbox.push),
    );
    await subscribed(
      globex
        .channel("globex-contacts")
        .on("postgres_changes", { event: "*", schema: "public", table: "contacts" }, globexInbox.push),
    );

    const id = await insertContact(ACME, "Zoë 🚀 李");
    const [change] = await acmeInbox.waitFor(1);
    expect(change).toMatchObject({
      schema: "public",
      table: "contacts",
      eventType: "INSERT",
      old: {},
      errors: null,
      new: {
        id,
        tenant_id: ACME,
        first_name: "Zoë 🚀 李",
        last_name: "Ñúñez",
        tags: ["vip", "a b"],
        status: "cold",
      },
    });
    expect(change?.commit_timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(typeof (change?.new as Record<string, unknown> | undefined)?.created_at).toBe("string");
    await settle(400);
    expect(globexInbox.items).toHaveLength(0);
  });

  it("applies filters (eq, in, gt) and the event kind", async () => {
    const acme = await signedIn("admin@test.local");
    const hot = new Inbox<Change>();
    const listed = new Inbox<Change>();
    const updates = new Inbox<Change>();
    await subscribed(
      acme
        .channel("filters")
        .on(
          "postgres_changes",
          { event: "INSERT", schema: "public", table: "contacts", filter: "status=eq.hot" },
          hot.push,
        )
        .on(
          "postgres_changes",
          { event: "INSERT", schema: "public", table: "contacts", filter: "first_name=in.(Ann,Bo)" },
          listed.push,
        )
        .on("postgres_changes", { event: "UPDATE", schema: "public", table: "contacts" }, updates.push),
    );
    await insertContact(ACME, "Ann", "cold");
    const hotId = await insertContact(ACME, "Cy", "hot");
    await insertContact(ACME, "Bo", "warm");
    await server.database.query("update public.contacts set status = 'warm' where id = $1", [hotId]);

    const [onlyHot] = await hot.waitFor(1);
    expect(onlyHot?.new).toMatchObject({ first_name: "Cy" });
    const names = (await listed.waitFor(2)).map((c) => (c.new as Record<string, unknown>).first_name);
    expect(names.sort()).toEqual(["Ann", "Bo"]);
    const [update] = await updates.waitFor(1);
    expect(update).toMatchObject({
      eventType: "UPDATE",
      new: { id: hotId, status: "warm" },
      old: { id: hotId },
    });
    await settle(300);
    expect(hot.items).toHaveLength(1);
  });

  it("leaves out columns the role may not read and sends deletes with the primary key", async () => {
    const anon = server.client();
    clients.push(anon);
    const inbox = new Inbox<Change>();
    await subscribed(
      anon
        .channel("notices")
        .on("postgres_changes", { event: "*", schema: "public", table: "notices" }, inbox.push),
    );
    await server.database.query("insert into public.notices values (1, 'Ölçüm ✓', 'hidden', 3)");
    await server.database.query("delete from public.notices where id = 1");
    const [insert, remove] = await inbox.waitFor(2);
    expect(insert?.new).toEqual({ id: 1, body: "Ölçüm ✓", level: 3 });
    expect(remove).toMatchObject({ eventType: "DELETE", old: { id: 1 } });
  });

  it("stops delivering when the membership is revoked, without reconnecting", async () => {
    const manager = await signedIn("director@test.local");
    const inbox = new Inbox<Change>();
    await subscribed(
      manager
        .channel("director")
        .on("postgres_changes", { event: "INSERT", schema: "public", table: "contacts" }, inbox.push),
    );
    await insertContact(ACME, "Before");
    await inbox.waitFor(1);
    await server.database.query(
      "delete from groundwork.memberships where user_id = (select id from auth.users where email = 'director@test.local')",
    );
    await insertContact(ACME, "After");
    await settle(800);
    expect(inbox.items.map((c) => (c.new as Record<string, unknown>).first_name)).toEqual(["Before"]);
  });

  it("answers the join with the bindings echoed in order, each with a positive id", async () => {
    const acme = await signedIn("admin@test.local");
    const channel = acme
      .channel("echo")
      .on(
        "postgres_changes",
        { event: "DELETE", schema: "public", table: "contacts", filter: "id=gt.0" },
        () => {},
      )
      .on("postgres_changes", { event: "*", schema: "public" }, () => {});
    await subscribed(channel);
    const bindings = (channel as unknown as { bindings: { postgres_changes: { id: number }[] } }).bindings
      .postgres_changes;
    expect(bindings.map((b) => b.id).every((id) => Number.isInteger(id) && id > 0)).toBe(true);
  });

  it("keeps a subscription across a refreshed token and checks it as the new caller", async () => {
    const acme = await signedIn("admin@test.local");
    const inbox = new Inbox<Change>();
    await subscribed(
      acme
        .channel("refresh")
        .on("postgres_changes", { event: "INSERT", schema: "public", table: "contacts" }, inbox.push),
    );
    const { data } = await acme.auth.refreshSession();
    expect(data.session).not.toBeNull();
    await settle(200);
    await insertContact(ACME, "After refresh");
    const [change] = await inbox.waitFor(1);
    expect(change?.new).toMatchObject({ first_name: "After refresh" });
    await insertContact(GLOBEX, "Not for Acme");
    await settle(400);
    expect(inbox.items).toHaveLength(1);
  });
});
