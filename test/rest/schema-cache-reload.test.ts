import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Listener } from "../../src/db/listener.js";
import { SchemaCacheHolder } from "../../src/services/rest/schema-cache/cache.js";
import { qualifiedKey } from "../../src/services/rest/schema-cache/types.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

// A reload asked for while a load is under way must not be answered by that load: it may have
// read the catalogs before the change that asked for the reload (a migration committing while
// the cache reloads after the previous one).
describe("schema cache reloads", () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    pool = new pg.Pool({ connectionString: database.adminUrl, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("loads again after the load under way when asked during it", async () => {
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let read = () => {};
    const catalogRead = new Promise<void>((resolve) => {
      read = resolve;
    });
    let firstLoad = true;
    // The first load reads the catalogs in a snapshot taken before the table below exists, and
    // starts reading only once the second reload has been asked for: it is under way then and
    // cannot see the table, as a load that began before a migration committed.
    const slowPool = {
      connect: async () => {
        const client = await pool.connect();
        if (!firstLoad) return client;
        firstLoad = false;
        await client.query("begin isolation level repeatable read");
        await client.query("select 1");
        read();
        await gate;
        const release = client.release.bind(client);
        (client as unknown as { release: () => void }).release = () => {
          client.query("commit").finally(() => release());
        };
        return client;
      },
    } as unknown as pg.Pool;
    const holder = new SchemaCacheHolder({
      admin: slowPool,
      listener: new Listener({ pool }),
      schemas: ["public"],
    });
    const first = holder.reload();
    await catalogRead;
    await database.query(
      "create table public.added_during_load (id int primary key, nom text default 'héllo ✨')",
    );
    const second = holder.reload();
    openGate();
    await Promise.all([first, second]);
    expect(holder.current?.relations.has(qualifiedKey("public", "added_during_load"))).toBe(true);
    await holder.close();
  });
});
