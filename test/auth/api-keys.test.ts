import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WELL_KNOWN_PUBLISHABLE_KEY, WELL_KNOWN_SECRET_KEY } from "../../src/config/jwt-keys.js";
import { startTestServer, type TestServer, testClient } from "../harness/server.js";
import { api, SEED_PASSWORD } from "./helpers.js";

// A project that knows only the opaque keys of its .env (PUBLISHABLE_KEY, SECRET_KEY), through
// an unmodified supabase-js: REST under RLS, sign-in, and the admin API.
describe("opaque API keys (the Supabase CLI's fixed local pair)", () => {
  let server: TestServer;
  let publishable: SupabaseClient;
  let secret: SupabaseClient;

  beforeAll(async () => {
    server = await startTestServer();
    publishable = testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY);
    secret = testClient(server.url, WELL_KNOWN_SECRET_KEY);
  });
  afterAll(async () => {
    await server.close();
  });

  it("reads as anon with the publishable key and as service_role with the secret key", async () => {
    const anon = await publishable.from("contacts").select("id");
    expect(anon.error).toBeNull();
    expect(anon.data).toEqual([]);
    const all = await secret.from("contacts").select("id");
    expect(all.error).toBeNull();
    expect(all.data).toHaveLength(4);
  });

  it("writes non-ASCII text with the secret key", async () => {
    const name = "Zoë Ångström 🚀 東京";
    const { data: org } = await secret.from("organizations").select("id, tenant_id").limit(1).single();
    const { data, error } = await secret
      .from("contacts")
      .insert({ tenant_id: org?.tenant_id, organization_id: org?.id, first_name: name, last_name: "Ünal" })
      .select("first_name")
      .single();
    expect(error).toBeNull();
    expect(data?.first_name).toBe(name);
  });

  it("signs in with the publishable key; the session's token then decides the rows", async () => {
    const client = testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY);
    const { data, error } = await client.auth.signInWithPassword({
      email: "admin@test.local",
      password: SEED_PASSWORD,
    });
    expect(error).toBeNull();
    expect(data.session?.access_token).toMatch(/^eyJ/);
    const mine = await client.from("contacts").select("id");
    expect(mine.data?.length).toBeGreaterThan(0);
    expect((await client.auth.getUser()).data.user?.email).toBe("admin@test.local");
  });

  it("lets the secret key, and not the publishable key, use the admin API", async () => {
    const list = await secret.auth.admin.listUsers();
    expect(list.error).toBeNull();
    expect(list.data.users.length).toBeGreaterThan(0);
    const refused = await publishable.auth.admin.listUsers();
    expect(refused.error?.status).toBe(403);
    expect((refused.error as { code?: string } | null)?.code).toBe("not_admin");
  });

  it("takes a key in Authorization alone (curl), and a user's JWT over the apikey", async () => {
    const bearerOnly = await fetch(`${server.url}/rest/v1/contacts?select=id`, {
      headers: { authorization: `Bearer ${WELL_KNOWN_SECRET_KEY}` },
    });
    expect(await bearerOnly.json()).toHaveLength(5);
    const apikeyOnly = await fetch(`${server.url}/rest/v1/contacts?select=id`, {
      headers: { apikey: WELL_KNOWN_SECRET_KEY },
    });
    expect(await apikeyOnly.json()).toHaveLength(5);
    const admin = await api(server, "GET", "/admin/users", {
      token: null,
      headers: { apikey: WELL_KNOWN_SECRET_KEY },
    });
    expect(admin.status).toBe(200);
  });

  it("refuses an sb_ key that is not the project's, in each protocol's shape", async () => {
    const wrong = `sb_secret_${"A".repeat(22)}_aaaaaaaa`;
    const rest = await fetch(`${server.url}/rest/v1/contacts`, { headers: { apikey: wrong } });
    expect(rest.status).toBe(401);
    expect(await rest.json()).toMatchObject({ code: "PGRST301", message: "Invalid API key" });
    const auth = await api(server, "GET", "/settings", { token: wrong, headers: { apikey: wrong } });
    expect(auth.status).toBe(401);
    expect(auth.body).toMatchObject({ code: "no_authorization", message: "Invalid API key" });
    const client = testClient(server.url, "sb_publishable_not-this-projects-key_12345678");
    const { error } = await client.from("contacts").select("id");
    expect(error?.message).toBe("Invalid API key");
  });
});
