import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { type Receiver, startReceiver } from "./receiver.js";

// Supabase Vault's SQL API, as Supabase's "Scheduling Edge Functions" guide uses it: the project
// URL and a key stored with vault.create_secret, read back from vault.decrypted_secrets by a
// pg_cron job that calls net.http_post.
describe("supabase_vault", () => {
  let server: TestServer;
  let receiver: Receiver;
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it("is enabled, and a migration's create extension for it changes nothing", async () => {
    await sql('create extension if not exists "supabase_vault" with schema "vault"');
    const [row] = await sql<{ extversion: string }>(
      "select extversion from pg_extension where extname = 'supabase_vault'",
    );
    expect(row?.extversion).toBe("0.3.1");
  });

  it("keeps secrets encrypted and gives them back through decrypted_secrets", async () => {
    const [created] = await sql<{ id: string }>(
      "select vault.create_secret($1, 'api_token_été', 'clé du service 🔑') as id",
      ["sk-Zoë-東京-😀"],
    );
    const [stored] = await sql<{ secret: string; decrypted_secret: string; description: string }>(
      "select secret, decrypted_secret, description from vault.decrypted_secrets where id = $1",
      [created?.id],
    );
    expect(stored?.decrypted_secret).toBe("sk-Zoë-東京-😀");
    expect(stored?.description).toBe("clé du service 🔑");
    expect(stored?.secret).not.toContain("sk-");
    await sql("select vault.update_secret($1, 'nouveau ✓')", [created?.id]);
    const [updated] = await sql<{ decrypted_secret: string; name: string }>(
      "select decrypted_secret, name from vault.decrypted_secrets where id = $1",
      [created?.id],
    );
    expect(updated).toEqual({ decrypted_secret: "nouveau ✓", name: "api_token_été" });
    await expect(sql("select vault.create_secret('other', 'api_token_été')")).rejects.toThrow(
      /duplicate key/,
    );
  });

  it("is out of reach of anon and authenticated; service_role reads it", async () => {
    await sql("select vault.create_secret('hidden', 'hidden_one')");
    for (const role of ["anon", "authenticated"]) {
      await expect(
        server.database.query(`begin; set local role ${role}; select * from vault.decrypted_secrets; commit`),
      ).rejects.toThrow(/permission denied/);
      await server.database.query("rollback");
      await expect(
        server.database.query(`begin; set local role ${role}; select vault.create_secret('x'); commit`),
      ).rejects.toThrow(/permission denied/);
      await server.database.query("rollback");
    }
    const client = await server.db.admin.connect();
    try {
      await client.query("begin; set local role service_role");
      const { rows } = await client.query(
        "select decrypted_secret from vault.decrypted_secrets where name = 'hidden_one'",
      );
      expect(rows[0]?.decrypted_secret).toBe("hidden");
      await client.query("rollback");
    } finally {
      client.release();
    }
  });

  it("runs the guide's cron job: URL and key from the vault, net.http_post to the function", async () => {
    await sql('create extension if not exists "pg_cron" with schema "pg_catalog"');
    await sql("select vault.create_secret($1, 'project_url')", [receiver.url]);
    await sql("select vault.create_secret('sb_publishable_clé', 'anon_key')");
    await sql(`select cron.schedule('invoke-function-every-second', '1 seconds', $$
      select net.http_post(
        url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/function-name',
        headers := jsonb_build_object('Content-type', 'application/json', 'Authorization',
          'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'anon_key')),
        body := concat('{"time": "', now(), '"}')::jsonb
      ) as request_id;
    $$)`);
    const [request] = await receiver.waitFor(1, "/functions/v1/function-name", 15_000);
    await sql("select cron.unschedule('invoke-function-every-second')");
    expect(request?.headers.authorization).toBe("Bearer sb_publishable_clé");
    expect(JSON.parse(request?.body ?? "{}").time).toBeTruthy();
  });
});
