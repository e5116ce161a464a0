import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import type { AuditRow } from "./helpers.js";

const ACME = "00000000-0000-4000-8000-00000000a001";
const GLOBEX = "00000000-0000-4000-8000-00000000b001";
const PASSWORD = "TestPass123!";

interface SignedIn {
  readonly client: SupabaseClient;
  readonly token: string;
  readonly userId: string;
}

// The example project audits its tenant tables: writes through the data API by real users
// (signed in through /auth/v1) carry who, which tenant and which request; the trail is read back
// through public.audit_log under the audit log's row-level security.
describe("audit trail of writes through the data API", () => {
  let server: TestServer;
  let admin: SignedIn;
  let globexAdmin: SignedIn;
  let manager: SignedIn;

  const signIn = async (email: string): Promise<SignedIn> => {
    const client = server.client();
    const { data, error } = await client.auth.signInWithPassword({ email, password: PASSWORD });
    if (error || !data.session) throw new Error(`sign-in of ${email} failed: ${error?.message}`);
    return { client, token: data.session.access_token, userId: data.session.user.id };
  };
  const entries = async (where: string, params: unknown[]) =>
    (
      await server.database.query<AuditRow>(
        `select * from groundwork.audit_log where ${where} order by id`,
        params,
      )
    ).rows;

  beforeAll(async () => {
    // Requests come through a loopback proxy and one in 10.0.0.0/8, which name the client.
    server = await startTestServer({ env: { GROUNDWORK_TRUSTED_PROXIES: "127.0.0.0/8, ::1, 10.0.0.0/8" } });
    admin = await signIn("admin@test.local");
    globexAdmin = await signIn("globex.admin@test.local");
    manager = await signIn("manager@test.local");
  });
  afterAll(async () => {
    await server.close();
  });

  it("records the signed-in user, the tenant of the row and the role for writes through supabase-js", async () => {
    const { data, error } = await admin.client
      .from("contacts")
      .insert({ tenant_id: ACME, first_name: "Ada", last_name: "Audit" })
      .select("id")
      .single();
    expect(error).toBeNull();
    const [entry] = await entries("table_name = 'contacts' and pk = $1", [JSON.stringify({ id: data?.id })]);
    expect(entry).toMatchObject({
      op: "INSERT",
      table_schema: "public",
      tenant_id: ACME,
      auth_uid: admin.userId,
      auth_role: "authenticated",
      record: expect.objectContaining({ first_name: "Ada", tenant_id: ACME }),
    });
    expect(entry?.claims).toMatchObject({ sub: admin.userId, email: "admin@test.local" });
    expect(entry?.request_id).toMatch(/\S/);
    expect(entry?.client_ip).toMatch(/127\.0\.0\.1|::1/);
    expect(entry?.user_agent).toBeTruthy();
  });

  it("records the request id the server answered with, the client IP and the user agent", async () => {
    const response = await fetch(`${server.url}/rest/v1/notes`, {
      method: "POST",
      headers: {
        apikey: server.anonKey,
        authorization: `Bearer ${admin.token}`,
        "content-type": "application/json",
        prefer: "return=representation",
        "user-agent": "crm-web/3.0 (audit test)",
        "x-forwarded-for": "198.51.100.23, 10.0.0.2",
      },
      body: JSON.stringify({ tenant_id: ACME, text: "audited note", organization_id: 1 }),
    });
    expect(response.status).toBe(201);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    const [note] = (await response.json()) as { id: number }[];
    const rows = await entries("request_id = $1", [requestId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      op: "INSERT",
      table_name: "notes",
      pk: { id: note?.id },
      tenant_id: ACME,
      auth_uid: admin.userId,
      client_ip: "198.51.100.23",
      user_agent: "crm-web/3.0 (audit test)",
    });
  });

  it("keeps one record id across a row's insert, update and delete", async () => {
    const { data } = await admin.client
      .from("products")
      .insert({ tenant_id: ACME, name: "Audit Tea", sku: "AUD-1", unit_price: 3 })
      .select("id")
      .single();
    await admin.client.from("products").update({ unit_price: 4 }).eq("id", data?.id);
    await admin.client.from("products").delete().eq("id", data?.id);
    const history = await entries(
      "record_id = groundwork.audit_record_id('public.products', $1) or old_record_id = groundwork.audit_record_id('public.products', $1)",
      [JSON.stringify({ id: data?.id })],
    );
    expect(history.map((row) => row.op)).toEqual(["INSERT", "UPDATE", "DELETE"]);
    expect(history[1]?.old_record).toMatchObject({ unit_price: 3 });
    expect(history[1]?.record).toMatchObject({ unit_price: 4 });
    expect(new Set(history.map((row) => row.auth_uid))).toEqual(new Set([admin.userId]));
  });

  it("lets tenant admins read their tenant's entries and nobody else but service_role any", async () => {
    await globexAdmin.client
      .from("notes")
      .insert({ tenant_id: GLOBEX, text: "globex note", organization_id: 4 });
    const acme = await admin.client.from("audit_log").select("tenant_id, op, table_name");
    expect(acme.error).toBeNull();
    expect(acme.data?.length).toBeGreaterThan(0);
    expect(new Set(acme.data?.map((row) => row.tenant_id))).toEqual(new Set([ACME]));
    const globex = await globexAdmin.client.from("audit_log").select("tenant_id");
    expect(globex.data?.length).toBeGreaterThan(0);
    expect(new Set(globex.data?.map((row) => row.tenant_id))).toEqual(new Set([GLOBEX]));
    const asManager = await manager.client.from("audit_log").select("id");
    expect(asManager.data).toEqual([]);
    const anon = await server.client().from("audit_log").select("id");
    expect(anon.data).toBeNull();
    expect(anon.status).toBe(401);
    const service = await server.client(server.serviceRoleKey).from("audit_log").select("tenant_id");
    expect(new Set(service.data?.map((row) => row.tenant_id))).toEqual(new Set([ACME, GLOBEX]));
  });

  it("refuses changes to the trail through the API, even with the service key", async () => {
    const service = server.client(server.serviceRoleKey);
    const before = (await server.database.query("select count(*)::int as n from groundwork.audit_log"))
      .rows[0];
    const update = await service.from("audit_log").update({ op: "INSERT" }).eq("op", "UPDATE");
    expect(update.error?.code).toBe("42501");
    const remove = await service.from("audit_log").delete().eq("tenant_id", ACME);
    expect(remove.error?.code).toBe("42501");
    const asAdmin = await admin.client.from("audit_log").delete().eq("tenant_id", ACME);
    expect(asAdmin.error?.code).toBe("42501");
    const after = (await server.database.query("select count(*)::int as n from groundwork.audit_log"))
      .rows[0];
    expect(after).toEqual(before);
  });
});
