import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { rest, untilServed } from "./helpers.js";

// Two exposed schemas: the first is the default, the other is chosen with Accept-Profile (reads)
// and Content-Profile (writes), as supabase-js `.schema()` does.
describe("schema profiles", () => {
  let server: TestServer;
  let projectDir: string;

  beforeAll(async () => {
    projectDir = mkdtempSync(path.join(os.tmpdir(), "groundwork-profiles-"));
    mkdirSync(path.join(projectDir, "supabase"));
    writeFileSync(
      path.join(projectDir, "supabase", "config.toml"),
      '[api]\nschemas = ["public", "inventory"]\nmax_rows = 100\n',
    );
    server = await startTestServer({ template: "platform", projectDir });
    await server.database.query(`
      create schema inventory;
      grant usage on schema inventory to anon, authenticated, service_role;
      create table public.things (id int primary key, name text);
      create table inventory.things (id int primary key, sku text);
      grant all on inventory.things to anon, authenticated, service_role;
      insert into public.things values (1, 'public thing');
      insert into inventory.things values (1, 'INV-1');
      create function inventory.whoami() returns text language sql stable as $$ select current_schema() $$;
      grant execute on function inventory.whoami() to anon, authenticated, service_role;
      notify pgrst, 'reload schema';`);
    await untilServed(server, "/things", { "accept-profile": "inventory" });
  });
  afterAll(async () => {
    await server.close();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it("reads the default schema without a profile and the other with Accept-Profile", async () => {
    const plain = await rest(server, "/things", { token: server.serviceRoleKey });
    expect(plain.json).toEqual([{ id: 1, name: "public thing" }]);
    expect(plain.headers.get("content-profile")).toBeNull();
    const other = await rest(server, "/things", {
      token: server.serviceRoleKey,
      headers: { "accept-profile": "inventory" },
    });
    expect(other.json).toEqual([{ id: 1, sku: "INV-1" }]);
    expect(other.headers.get("content-profile")).toBe("inventory");
  });

  it("writes with Content-Profile and calls functions with the schema first on the search_path", async () => {
    const insert = await rest(server, "/things?select=sku", {
      method: "POST",
      token: server.serviceRoleKey,
      headers: { "content-profile": "inventory", prefer: "return=representation" },
      body: `{"id":2,"sku":"INV-2"}`,
    });
    expect(insert.status).toBe(201);
    expect(insert.json).toEqual([{ sku: "INV-2" }]);
    const call = await rest(server, "/rpc/whoami", {
      token: server.serviceRoleKey,
      headers: { "accept-profile": "inventory" },
    });
    expect(call.json).toBe("inventory");
  });

  it("a schema that is not exposed is PGRST106", async () => {
    const response = await rest(server, "/things", { headers: { "accept-profile": "private" } });
    expect(response.status).toBe(406);
    expect(response.json).toEqual({
      code: "PGRST106",
      message: "Invalid schema: private",
      details: null,
      hint: "Only the following schemas are exposed: public, inventory",
    });
  });
});
