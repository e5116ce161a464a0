import type { SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../src/db/database-url.js";
import { replicationProblem } from "../../src/services/realtime/changes/feed.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { closeClient, Inbox, settle, signIn, subscribed } from "./helpers.js";

let server: TestServer;
const clients: SupabaseClient[] = [];
let adminId = "";
let managerId = "";

async function signedIn(email: string): Promise<SupabaseClient> {
  const client = server.client();
  clients.push(client);
  await signIn(client, email);
  // realtime-js takes the session's token for its joins.
  await client.realtime.setAuth();
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
  const { rows } = await server.database.query<{ email: string; id: string }>(
    "select email, id::text from auth.users where email in ('admin@test.local', 'manager@test.local')",
  );
  adminId = rows.find((r) => r.email === "admin@test.local")?.id ?? "";
  managerId = rows.find((r) => r.email === "manager@test.local")?.id ?? "";
  // Supabase's documented shape: a user reads and writes the room named after them.
  await server.database.query(`
    create policy "own room: read" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'room:' || (select auth.uid())::text
             or (select realtime.topic()) = 'shared:' || '${adminId}');
    create policy "own room: write" on realtime.messages for insert to authenticated
      with check ((select realtime.topic()) = 'room:' || (select auth.uid())::text);`);
});
afterAll(async () => {
  for (const client of clients) await closeClient(client);
  await server.close();
});

describe("private channels", () => {
  it("join only where the SELECT policies on realtime.messages allow", async () => {
    const admin = await signedIn("admin@test.local");
    await subscribed(admin.channel(`room:${adminId}`, { config: { private: true } }));
    const refused = await subscribed(admin.channel(`room:${managerId}`, { config: { private: true } })).catch(
      (error: Error) => error,
    );
    expect(String(refused)).toContain(
      `Unauthorized: You do not have permissions to read from this Channel topic: room:${managerId}`,
    );
    const anon = server.client();
    clients.push(anon);
    expect(
      String(
        await subscribed(anon.channel(`room:${adminId}`, { config: { private: true } })).catch(
          (e: Error) => e,
        ),
      ),
    ).toContain("Unauthorized");
  });

  it("send only where the INSERT policies allow, and keep private and public channels apart", async () => {
    const admin = await signedIn("admin@test.local");
    const manager = await signedIn("manager@test.local");
    const shared = `shared:${adminId}`;
    const managerInbox = new Inbox<unknown>();
    const publicInbox = new Inbox<unknown>();
    const mine = await subscribed(
      admin.channel(`room:${adminId}`, { config: { private: true, broadcast: { ack: true, self: true } } }),
    );
    // The manager may read the admin's shared topic but not write there.
    const managerShared = await subscribed(
      manager
        .channel(shared, { config: { private: true, broadcast: { ack: true } } })
        .on("broadcast", { event: "*" }, managerInbox.push),
    );
    // A public channel of the same name (another socket: realtime-js keeps one channel per topic).
    const admin2 = await signedIn("admin@test.local");
    await subscribed(admin2.channel(`room:${adminId}`).on("broadcast", { event: "*" }, publicInbox.push));
    expect(await mine.send({ type: "broadcast", event: "e", payload: { ok: "✓" } })).toBe("ok");
    expect(await managerShared.send({ type: "broadcast", event: "e", payload: {} })).toBe("error");
    await settle(300);
    expect(publicInbox.items).toHaveLength(0);

    await server.database.query("select realtime.send('{\"to\": \"shared\"}'::jsonb, 'db', $1, true)", [
      shared,
    ]);
    const [received] = await managerInbox.waitFor(1);
    expect(received).toMatchObject({ event: "db", payload: { to: "shared" } });
  });
});

describe("a database that cannot stream changes", () => {
  it("is named clearly: the role lacks REPLICATION", async () => {
    await server.database.query("create role no_replication login password 'pw' nosuperuser noreplication");
    const url = withDatabase(server.database.adminUrl, server.database.name).replace(
      "postgres:postgres@",
      "no_replication:pw@",
    );
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      expect(await replicationProblem(pool)).toMatch(
        /lacks the REPLICATION attribute \(run: alter role "no_replication" with replication\)/,
      );
    } finally {
      await pool.end();
    }
    expect(await replicationProblem(server.db.admin)).toBeNull();
  });
});
