import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importContacts, type Progress, watchImport } from "../../examples/crm/app/import-progress.js";
import { type Contact, watchContacts } from "../../examples/crm/app/live-contacts.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { closeClient, Inbox, settle, signIn } from "./helpers.js";

const ACME = "00000000-0000-4000-8000-00000000a001";

let server: TestServer;
const clients: SupabaseClient[] = [];
async function signedIn(email: string): Promise<SupabaseClient> {
  const client = server.client();
  clients.push(client);
  await signIn(client, email);
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await closeClient(client);
  await server.close();
});

describe("the CRM example's realtime pieces, through supabase-js", () => {
  it("keeps an account manager's live contact list: own contacts only, as they change", async () => {
    const manager = await signedIn("manager@test.local");
    const lists = new Inbox<Contact[]>();
    const live = await watchContacts(manager, lists.push);
    const initial = (await lists.waitFor(1))[0] ?? [];
    const { rows } = await server.database.query<{ n: number }>(
      `select count(*)::int as n from public.contacts c join public.sales s on s.id = c.sales_id
       where s.email = 'manager@test.local'`,
    );
    expect(initial).toHaveLength(rows[0]?.n ?? -1);

    const insert = (first: string, email: string) =>
      server.database.query<{ id: string }>(
        `insert into public.contacts (tenant_id, first_name, last_name, sales_id)
         select $1, $2, 'Åström', id from public.sales where email = $3 returning id`,
        [ACME, first, email],
      );
    // One change at a time, as a user's edits come: a change is checked against the row as it
    // is when the change is read, so a row already deleted again is not shown being inserted.
    const mine = Number((await insert("Zoé 🌟", "manager@test.local")).rows[0]?.id);
    await lists.waitFor(2);
    await insert("Not mine", "director@test.local");
    await server.database.query("update public.contacts set status = 'hot' where id = $1", [mine]);
    await lists.waitFor(3);
    await server.database.query("delete from public.contacts where id = $1", [mine]);
    const final = await lists.waitFor(4);
    expect(final[1]?.find((c) => c.id === mine)).toMatchObject({ first_name: "Zoé 🌟", status: "cold" });
    expect(final[2]?.find((c) => c.id === mine)).toMatchObject({ status: "hot" });
    expect(final[3]?.find((c) => c.id === mine)).toBeUndefined();
    await settle(300);
    expect(lists.items.flat().some((c) => c.first_name === "Not mine")).toBe(false);
    await live.stop();
  });

  it("reports an import's progress to the user who started it, on their private channel", async () => {
    const admin = await signedIn("admin@test.local");
    const other = await signedIn("manager@test.local");
    const { rows } = await server.database.query<{ id: string }>(
      "select id::text from auth.users where email = 'admin@test.local'",
    );
    const adminId = rows[0]?.id ?? "";
    const progress = new Inbox<Progress>();
    const watching = await watchImport(admin, adminId, progress.push);
    // Another user cannot listen in on it.
    await expect(watchImport(other, adminId, () => {})).rejects.toThrow(/Unauthorized/);

    const service = server.client(server.serviceRoleKey);
    clients.push(service);
    const people = Array.from({ length: 60 }, (_, i) => ({
      first_name: `Imported ${i} ✓`,
      last_name: "Müller",
    }));
    expect(await importContacts(service, adminId, ACME, people, 25)).toBe(60);
    expect(await progress.waitFor(3)).toEqual([
      { done: 25, total: 60 },
      { done: 50, total: 60 },
      { done: 60, total: 60 },
    ]);
    await watching.stop();
  });
});
