import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { resetDatabase } from "../../src/migrate/reset.js";
import { runSeedFiles } from "../../src/migrate/seed.js";
import { backupDatabase } from "../../src/ops/backup/backup.js";
import { restoreDatabase } from "../../src/ops/backup/restore.js";
import { pushMigrations } from "../../src/ops/deploy/push.js";
import { resetTestData } from "../../src/ops/reset/reset.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

/**
 * A Supabase project's migrations call extension functions unqualified: `extensions` is on the
 * search_path its sessions get. Each database here starts without the per-database setting, as
 * a connection opened before the platform set it (first start, `db reset`) sees it, so each
 * path sees only what it sets on its own connection.
 */
const MIGRATION = `create table public.things (
  id uuid primary key default uuid_generate_v4(),
  other uuid not null default gen_random_uuid(),
  token text not null default encode(gen_random_bytes(8), 'hex'),
  secret text
);
-- Resolved when the trigger fires, with the session's search_path.
create function public.hash_secret() returns trigger language plpgsql as $$
begin
  new.secret := crypt(coalesce(new.secret, 'x'), gen_salt('bf', 4));
  return new;
end $$;
create trigger hash_secret before insert on public.things for each row execute function public.hash_secret();
insert into public.things (secret) values ('Zoë 👋');
select uuid_generate_v4(), gen_random_bytes(4), crypt('a', gen_salt('md5'));
`;
const SEED = "insert into public.things (id, secret) values (uuid_generate_v4(), 'Åland');\n";

async function countThings(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from public.things where secret like '$2%' and length(token) = 16",
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/** A connection as a path gets it: opened on a database without the per-database search_path. */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ search_path: string }>("show search_path");
  if (rows[0]?.search_path.includes("extensions")) {
    await client.end();
    throw new Error(`the connection already has extensions on its search_path: ${rows[0].search_path}`);
  }
  return client;
}

describe("migrations and seeds see the extensions schema on every path", () => {
  let project: TempProject;
  let config: Config;
  const databases: TestDatabase[] = [];
  /** A database whose sessions start without `extensions`, as an existing connection does. */
  const fresh = async (template: "platform" | "crm" = "platform") => {
    const database = await createTestDatabase(template);
    databases.push(database);
    await database.query(`alter database ${database.name} reset search_path`);
    return database;
  };

  beforeAll(async () => {
    project = tempProject({ configToml: 'project_id = "search-path"\n' });
    project.write("supabase/migrations/20250101000000_things.sql", MIGRATION);
    project.write("supabase/seed.sql", SEED);
    config = await loadConfig(project.dir, {});
  });
  afterAll(async () => {
    for (const database of databases) await database.drop();
    project.remove();
  });

  it("start, migration up and the test harness (applyMigrations, then the seed)", async () => {
    const database = await fresh();
    const client = await connect(database.adminUrl);
    try {
      await applyMigrations(client, readMigrationDirectory(config.migrationsDir).migrations);
      await runSeedFiles(client, config.seedPaths, config.projectDir);
    } finally {
      await client.end();
    }
    expect(await countThings(database.adminUrl)).toBe(2);
  });

  it("db reset", async () => {
    const database = await fresh();
    await resetDatabase(config, database.adminUrl);
    expect(await countThings(database.adminUrl)).toBe(2);
  });

  it("db push", async () => {
    const database = await fresh();
    // The lint's findings on this bare table (no RLS) are not what this test is about.
    await pushMigrations(database.adminUrl, { config, backup: false, failOn: null });
    expect(await countThings(database.adminUrl)).toBe(1);
  });

  it("db restore (the backup's migrations replayed)", async () => {
    const source = await fresh();
    await resetDatabase(config, source.adminUrl);
    const { file } = await backupDatabase(source.adminUrl, { backupsDir: path.join(project.dir, "backups") });
    const target = await fresh();
    const client = await connect(target.adminUrl);
    await client.end();
    await restoreDatabase(file, target.adminUrl, { force: true });
    expect(await countThings(target.adminUrl)).toBe(2);
  });

  it("reset (the test users' data, seeded through triggers that call extension functions)", async () => {
    const database = await fresh("crm");
    // A trigger resolved at run time with the session's search_path, as a project's own may be.
    await database.query(`
      create function public.stamp_contact() returns trigger language plpgsql as $$
      begin new.background := coalesce(new.background, '') || encode(gen_random_bytes(2), 'hex'); return new; end $$;
      create trigger stamp_contact before insert on public.contacts for each row execute function public.stamp_contact();`);
    const crm = await loadConfig(EXAMPLE_PROJECT, {});
    const result = await resetTestData(database.adminUrl, crm.testUsers, {
      backupsDir: path.join(project.dir, "backups"),
      hashCost: 4,
    });
    expect(result.truncated).toContain("public.contacts");
    const { rows } = await database.query<{ n: number }>("select count(*)::int as n from public.contacts");
    expect(rows[0]?.n).toBeGreaterThan(0);
  });
});
