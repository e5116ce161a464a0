import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { runSeedFiles } from "../../src/migrate/seed.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

const FIXTURE = new URL("../fixtures/supabase-project/", import.meta.url).pathname;

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  client = new pg.Client({ connectionString: database.adminUrl });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

describe("a project made for the Supabase CLI", () => {
  it("loads its full config.toml unmodified, env() keys it does not use included", async () => {
    const config = await loadConfig(FIXTURE, {});
    expect(config.projectId).toBe("starter");
    expect(config.auth.hooks.custom_access_token).toEqual({
      uri: "pg-functions://postgres/public/custom_access_token_hook",
    });
    expect(config.seedPaths.map((p) => p.slice(FIXTURE.length))).toEqual([
      "supabase/seed.sql",
      "supabase/seeds/02_roles.sql",
    ]);
  });

  it("runs its migrations and seeds unchanged: auth triggers, storage, realtime, the RBAC hook", async () => {
    const config = await loadConfig(FIXTURE, {});
    const applied = await applyMigrations(client, readMigrationDirectory(config.migrationsDir).migrations);
    expect(applied.map((m) => m.name)).toEqual(["profiles", "role_claims"]);
    await runSeedFiles(client, config.seedPaths, config.projectDir);

    const profile = await client.query("select username from public.profiles");
    expect(profile.rows).toEqual([{ username: "ada" }]);
    const bucket = await client.query("select id, public from storage.buckets");
    expect(bucket.rows).toEqual([{ id: "avatars", public: true }]);
    const published = await client.query(
      "select tablename from pg_publication_tables where pubname = 'supabase_realtime'",
    );
    expect(published.rows).toEqual([{ tablename: "profiles" }]);
    const hook = await client.query(
      `select public.custom_access_token_hook(jsonb_build_object('user_id', '7a4c3f0e-3b1d-4b8a-9d55-2f1e6c0a9b11', 'claims', '{"role": "authenticated"}'::jsonb)) -> 'claims' as claims`,
    );
    expect(hook.rows[0].claims).toEqual({ role: "authenticated", user_role: "admin" });
  });
});
