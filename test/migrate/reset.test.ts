import { readdirSync } from "node:fs";
import path from "node:path";
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
});
