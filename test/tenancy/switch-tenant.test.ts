import type { SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";

const ACME = "00000000-0000-4000-8000-00000000a001";
const GLOBEX = "00000000-0000-4000-8000-00000000b001";

function appMetadata(token: string): Record<string, unknown> {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
    app_metadata: Record<string, unknown>;
  };
  return payload.app_metadata;
}

describe("switching the active tenant", () => {
  let server: TestServer;
  let admin: SupabaseClient;

  beforeAll(async () => {
    server = await startTestServer();
    admin = server.client();
    const { error } = await admin.auth.signInWithPassword({
      email: "admin@test.local",
      password: "TestPass123!",
    });
    if (error) throw error;
  });
  afterAll(async () => {
    await server.close();
  });

  async function accessToken(client: SupabaseClient): Promise<string> {
    const { data } = await client.auth.getSession();
    return data.session?.access_token ?? "";
  }

  it("is refused for a tenant the user is not a member of, and changes nothing", async () => {
    const { status, error } = await admin.rpc("switch_tenant", { tenant_id: GLOBEX });
    expect(status).toBe(403);
    expect(error?.code).toBe("42501");
    const { data } = await admin.rpc("my_tenants");
    expect(data).toEqual([
      { tenant_id: ACME, name: "Acme Foods", slug: "acme-foods", role: "admin", active: true },
    ]);
    await admin.auth.refreshSession();
    expect(appMetadata(await accessToken(admin))).toMatchObject({ tenant_id: ACME, tenant_role: "admin" });
  });

  it("works for a tenant the user belongs to: the next token carries it, with the role there", async () => {
    await server.database.query(
      `insert into groundwork.memberships (user_id, tenant_id, role)
       select id, $1, 'account_manager' from auth.users where email = 'admin@test.local'`,
      [GLOBEX],
    );
    const tenants = await admin.from("tenants").select("slug").order("slug");
    expect(tenants.data).toEqual([{ slug: "acme-foods" }, { slug: "globex" }]);
    const switched = await admin.rpc("switch_tenant", { tenant_id: GLOBEX });
    expect(switched.error).toBeNull();
    expect(switched.data).toEqual({ tenant_id: GLOBEX, tenant_role: "account_manager" });
    // Until the token is refreshed it still names Acme, and the policies follow the token.
    expect((await admin.from("products").select("tenant_id")).data?.every((p) => p.tenant_id === ACME)).toBe(
      true,
    );

    await admin.auth.refreshSession();
    expect(appMetadata(await accessToken(admin))).toMatchObject({
      tenant_id: GLOBEX,
      tenant_role: "account_manager",
    });
    const products = await admin.from("products").select("sku");
    expect(products.data).toEqual([{ sku: "GLX-PLP" }]);
    // account_manager in Globex: only rows assigned to them, and they have none there.
    expect((await admin.from("contacts").select("id")).data).toEqual([]);

    await admin.rpc("switch_tenant", { tenant_id: ACME });
    await admin.auth.refreshSession();
    expect(appMetadata(await accessToken(admin))).toMatchObject({ tenant_id: ACME, tenant_role: "admin" });
    expect((await admin.from("contacts").select("id")).data?.length).toBeGreaterThan(0);
  });

  it("takes a removed membership away at once, even from a token that still names the tenant", async () => {
    await admin.rpc("switch_tenant", { tenant_id: GLOBEX });
    await admin.auth.refreshSession();
    expect((await admin.from("products").select("sku")).data).toEqual([{ sku: "GLX-PLP" }]);
    await server.database.query(
      "delete from groundwork.memberships where tenant_id = $1 and user_id = (select id from auth.users where email = 'admin@test.local')",
      [GLOBEX],
    );
    // The API keeps the membership in memory and drops it when the commit's notification arrives,
    // which is asynchronous: allow it a moment, then no request may see the tenant again.
    const deadline = Date.now() + 2000;
    while ((await admin.from("products").select("sku")).data?.length !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < 5; i++) expect((await admin.from("products").select("sku")).data).toEqual([]);
  });

  it("a forged tenant claim in a validly signed token reaches nothing without a membership", async () => {
    const { rows } = await server.database.query<{ id: string }>(
      "select id from auth.users where email = 'director@test.local'",
    );
    const forged = await new SignJWT({
      sub: rows[0]?.id,
      role: "authenticated",
      aud: "authenticated",
      app_metadata: { tenant_id: GLOBEX, tenant_role: "admin" },
    })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(server.config.jwt.secret));
    const client = server.client(forged);
    for (const table of ["products", "contacts", "organizations", "sales"]) {
      expect((await client.from(table).select("id")).data, table).toEqual([]);
    }
  });
});
