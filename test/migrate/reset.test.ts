import { readdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { type ResetStep, resetDatabase } from "../../src/migrate/reset.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("platform");
});
afterAll(async () => {
  await database.drop();
});

describe("resetDatabase", () => {
  it("recreates the database from the platform schema, the migrations and the seed", async () => {
    await database.query("create table public.leftover (id int)");
    const config = await loadConfig(EXAMPLE_PROJECT, { DATABASE_URL: database.adminUrl });
    const steps: ResetStep[] = [];
    const result = await resetDatabase(config, database.adminUrl, (step) => steps.push(step));
    expect(steps).toEqual(["recreate", "platform", "migrations", "seed"]);
    const migrations = readdirSync(path.join(EXAMPLE_PROJECT, "supabase", "migrations")).filter((f) =>
      f.endsWith(".sql"),
    );
    expect(result).toMatchObject({ migrations: migrations.length, seedFiles: 1 });
    expect(result.platformFiles).toBeGreaterThan(0);

    const leftover = await database.query("select to_regclass('public.leftover') as t");
    expect(leftover.rows[0]).toEqual({ t: null });
    const tenants = await database.query("select slug from public.tenants order by slug");
    expect(tenants.rows).toEqual([{ slug: "acme-foods" }, { slug: "globex" }]);
    const users = await database.query("select count(*)::int as n from auth.users");
    expect(users.rows[0]).toEqual({ n: 4 });
  });

  it("ends the replication slots on the database (a server's realtime feed) and drops it anyway", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, { DATABASE_URL: database.adminUrl });
    const name = new URL(database.adminUrl).pathname.slice(1);
    // A permanent slot nobody uses, and a temporary one held by a live session (as the feed holds one).
    // Slot names are cluster-wide and ASCII only.
    const suffix = Math.random().toString(36).slice(2, 10);
    await database.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [`left_${suffix}`]);
    const holder = new pg.Client({ connectionString: database.adminUrl });
    holder.on("error", () => {}); // ended by the reset
    await holder.connect();
    await holder.query("select pg_create_logical_replication_slot($1, 'pgoutput', true)", [`feed_${suffix}`]);

    await resetDatabase(config, database.adminUrl);

    const slots = await database.query("select slot_name from pg_replication_slots where database = $1", [
      name,
    ]);
    expect(slots.rows).toEqual([]);
    const tenants = await database.query("select count(*)::int as n from public.tenants");
    expect(tenants.rows[0]).toEqual({ n: 2 });
    await holder.end().catch(() => {});
  });
});
