import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-realtime-schema-"));
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A migration as Supabase's docs write them for private channels and broadcast from the database. */
const PRIVATE_CHANNEL_MIGRATION = `
create table public.rooms (id bigint generated always as identity primary key, name text not null);
alter table public.rooms enable row level security;

create policy "members read their room" on realtime.messages
  for select to authenticated
  using ((select realtime.topic()) = 'room:' || (select auth.uid())::text and realtime.messages.extension in ('broadcast', 'presence'));

create policy "members write their room" on realtime.messages
  for insert to authenticated
  with check ((select realtime.topic()) = 'room:' || (select auth.uid())::text);

create or replace function public.rooms_broadcast() returns trigger
security definer language plpgsql as $$
begin
  perform realtime.broadcast_changes('rooms:' || coalesce(new.id, old.id)::text, tg_op, tg_op,
    tg_table_name, tg_table_schema, new, old);
  return null;
end $$;

create trigger rooms_broadcast after insert or update or delete on public.rooms
  for each row execute function public.rooms_broadcast();
`;

describe("the realtime schema", () => {
  it("takes a migration that adds policies on realtime.messages and a broadcast_changes trigger", async () => {
    writeFileSync(path.join(dir, "20240101000000_private_rooms.sql"), PRIVATE_CHANNEL_MIGRATION);
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      await applyMigrations(client, readMigrationDirectory(dir).migrations);
      const { rows } = await client.query(
        "select policyname from pg_policies where schemaname = 'realtime' and tablename = 'messages' order by 1",
      );
      expect(rows.map((row) => row.policyname)).toEqual([
        "members read their room",
        "members write their room",
      ]);
    } finally {
      await client.end();
    }
  });

  it("stores what broadcast_changes and realtime.send write, with the payload id Supabase adds", async () => {
    await database.query("insert into public.rooms (name) values ('Café 🎉 会議室')");
    await database.query("select realtime.send('{\"text\": \"héllo 👋\"}'::jsonb, 'note', 'room:x', false)");
    const { rows } = await database.query(
      "select topic, event, private, extension, payload from realtime.messages order by inserted_at, event",
    );
    const changes = rows.find((row) => row.event === "INSERT");
    expect(changes).toMatchObject({ topic: "rooms:1", private: true, extension: "broadcast" });
    expect(changes?.payload).toMatchObject({
      operation: "INSERT",
      table: "rooms",
      schema: "public",
      record: { id: 1, name: "Café 🎉 会議室" },
      old_record: null,
    });
    const note = rows.find((row) => row.event === "note");
    expect(note).toMatchObject({ topic: "room:x", private: false });
    expect(note?.payload.text).toBe("héllo 👋");
    expect(note?.payload.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lets the policies decide with realtime.topic() for the caller's role and claims", async () => {
    const sub = "5b0d3c52-3c1f-4a51-9a3c-6a8b8b0d6d2e";
    const allowed = await probe(sub, `room:${sub}`);
    const refused = await probe(sub, "room:someone-else");
    expect(allowed).toBe(1);
    expect(refused).toBe(0);
  });

  it("turns a failing send into a warning, so the write that triggered it still commits", async () => {
    // An event longer than nothing is fine; a topic of NULL breaks the NOT NULL constraint.
    const { rows } = await database.query("select realtime.send('{}'::jsonb, 'e', null) as result");
    expect(rows[0]?.result).toBe("");
  });
});

/** How many probe rows the caller may see on `topic` (a private channel's read check). */
async function probe(sub: string, topic: string): Promise<number> {
  const client = new pg.Client({ connectionString: database.apiUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true), set_config('realtime.topic', $2, true)",
      [JSON.stringify({ sub, role: "authenticated" }), topic],
    );
    await client.query("savepoint probe");
    await client
      .query("insert into realtime.messages (topic, extension) values ($1, 'broadcast')", [topic])
      .catch(() => client.query("rollback to savepoint probe"));
    const { rows } = await client.query("select count(*)::int as n from realtime.messages where topic = $1", [
      topic,
    ]);
    return rows[0]?.n;
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end();
  }
}
