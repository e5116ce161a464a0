import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";

// Cross-tenant attacks through supabase-js with REAL tokens: every user signs in through
// /auth/v1, so the example's access token hook puts their tenant and role in the token.
const ACME = "00000000-0000-4000-8000-00000000a001";
const GLOBEX = "00000000-0000-4000-8000-00000000b001";
const PASSWORD = "TestPass123!";
const TABLES = [
  "organizations",
  "contacts",
  "products",
  "opportunities",
  "activities",
  "tasks",
  "notes",
  "sales",
];

interface Attacker {
  readonly name: string;
  readonly email: string;
  readonly role: string;
  readonly own: string;
  readonly victim: string;
}

const ATTACKERS: readonly Attacker[] = [
  { name: "acme admin", email: "admin@test.local", role: "admin", own: ACME, victim: GLOBEX },
  {
    name: "acme sales_director",
    email: "director@test.local",
    role: "sales_director",
    own: ACME,
    victim: GLOBEX,
  },
  {
    name: "acme account_manager",
    email: "manager@test.local",
    role: "account_manager",
    own: ACME,
    victim: GLOBEX,
  },
  { name: "globex admin", email: "globex.admin@test.local", role: "admin", own: GLOBEX, victim: ACME },
];

describe("cross-tenant attacks through supabase-js", () => {
  let server: TestServer;
  const clients = new Map<string, SupabaseClient>();
  /** Ids of one row per table and tenant, read as the superuser. */
  const ids = new Map<string, number | string>();
  let before = "";

  /** Every tenant table and the tenancy tables, fingerprinted as the superuser. */
  async function fingerprint(): Promise<string> {
    const parts: string[] = [];
    for (const table of [
      ...TABLES.map((t) => `public.${t}`),
      "groundwork.tenants",
      "groundwork.memberships",
    ]) {
      const { rows } = await server.database.query<{ f: string }>(
        `select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as f from ${table} t`,
      );
      parts.push(`${table}=${rows[0]?.f}`);
    }
    return parts.join("\n");
  }

  beforeAll(async () => {
    server = await startTestServer();
    // A contact of Acme that points at Globex's organization (foreign keys ignore tenants): the
    // embed attack below tries to follow it.
    await server.database.query(
      `insert into public.contacts (tenant_id, organization_id, first_name, last_name, sales_id)
       select $1, o.id, 'Cross', 'Link', s.id from public.organizations o, public.sales s
       where o.tenant_id = $2 and s.email = 'manager@test.local'`,
      [ACME, GLOBEX],
    );
    for (const table of TABLES) {
      for (const tenant of [ACME, GLOBEX]) {
        const { rows } = await server.database.query<{ id: number | string }>(
          `select id from public.${table} where tenant_id = $1 order by id limit 1`,
          [tenant],
        );
        ids.set(`${table}:${tenant}`, rows[0]?.id as number | string);
      }
    }
    for (const attacker of ATTACKERS) {
      const { rows } = await server.database.query<{ id: number }>(
        // A contact the attacker may update: their own, or any of their tenant's for an admin.
        `select c.id::int as id from public.contacts c join public.sales s on s.id = c.sales_id
         where c.tenant_id = $2 and (s.email = $1 or $3 = 'admin') order by c.id limit 1`,
        [attacker.email, attacker.own, attacker.role],
      );
      ids.set(`own-contact:${attacker.name}`, rows[0]?.id as number);
      const client = server.client();
      const { error } = await client.auth.signInWithPassword({ email: attacker.email, password: PASSWORD });
      if (error) throw error;
      clients.set(attacker.name, client);
    }
    before = await fingerprint();
  });
  afterAll(async () => {
    await server.close();
  });

  it("real tokens carry the active tenant and the role in it, put there by the hook", async () => {
    for (const attacker of ATTACKERS) {
      const { data } = await (clients.get(attacker.name) as SupabaseClient).auth.getSession();
      const token = data.session?.access_token ?? "";
      const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
        app_metadata: Record<string, unknown>;
      };
      expect(claims.app_metadata).toMatchObject({ tenant_id: attacker.own, tenant_role: attacker.role });
    }
  });

  describe.each(ATTACKERS)("as $name", (attacker) => {
    const client = () => clients.get(attacker.name) as SupabaseClient;
    const victimId = (table: string) => ids.get(`${table}:${attacker.victim}`) as number;

    it("cannot read the other tenant's rows by id or by filter", async () => {
      for (const table of TABLES) {
        const byId = await client().from(table).select("*").eq("id", victimId(table));
        expect(byId.error, table).toBeNull();
        expect(byId.data, table).toEqual([]);
        const byFilter = await client().from(table).select("id, tenant_id").eq("tenant_id", attacker.victim);
        expect(byFilter.data, table).toEqual([]);
        const all = await client().from(table).select("tenant_id");
        expect(
          all.data?.every((row) => row.tenant_id === attacker.own),
          table,
        ).toBe(true);
      }
    });

    it("cannot insert rows carrying the other tenant's id (403, 42501)", async () => {
      const attempts = [
        client()
          .from("products")
          .insert({ tenant_id: attacker.victim, name: "Planted", sku: "PLANT", unit_price: 1 }),
        client().from("organizations").insert({ tenant_id: attacker.victim, name: "Planted Org" }),
        client()
          .from("notes")
          .insert({
            tenant_id: attacker.victim,
            text: "planted",
            organization_id: victimId("organizations"),
          }),
      ];
      for (const attempt of await Promise.all(attempts)) {
        expect(attempt.status).toBe(403);
        expect(attempt.error?.code).toBe("42501");
      }
    });

    it("cannot move its own rows into the other tenant", async () => {
      const mine = ids.get(`own-contact:${attacker.name}`) as number;
      const visible = await client().from("contacts").select("id").eq("id", mine);
      expect(visible.data).toEqual([{ id: mine }]);
      const moved = await client()
        .from("contacts")
        .update({ tenant_id: attacker.victim })
        .eq("id", mine)
        .select();
      expect(moved.status).toBe(403);
      expect(moved.error?.code).toBe("42501");
    });

    it("cannot update or delete the other tenant's rows (0 rows)", async () => {
      for (const table of ["organizations", "contacts", "opportunities"]) {
        const updated = await client()
          .from(table)
          .update({ created_at: "2000-01-01T00:00:00Z" })
          .eq("id", victimId(table))
          .select();
        expect(updated.error, table).toBeNull();
        expect(updated.data, table).toEqual([]);
        const deleted = await client().from(table).delete().eq("id", victimId(table)).select();
        expect(deleted.error, table).toBeNull();
        expect(deleted.data, table).toEqual([]);
      }
    });

    it("cannot reach the other tenant through embeds", async () => {
      const fromContacts = await client()
        .from("contacts")
        .select("first_name, organizations(name, tenant_id)");
      expect(fromContacts.error).toBeNull();
      for (const row of fromContacts.data ?? []) {
        const org = row.organizations as unknown as { tenant_id: string } | null;
        expect(org === null || org.tenant_id === attacker.own).toBe(true);
      }
      const fromOrgs = await client()
        .from("organizations")
        .select("name, contacts(tenant_id), notes(tenant_id)");
      for (const org of fromOrgs.data ?? []) {
        for (const child of [
          ...(org.contacts as { tenant_id: string }[]),
          ...(org.notes as { tenant_id: string }[]),
        ]) {
          expect(child.tenant_id).toBe(attacker.own);
        }
      }
      const inner = await client()
        .from("contacts")
        .select("id, organizations!inner(id)")
        .eq("organizations.id", victimId("organizations"));
      expect(inner.data).toEqual([]);
    });

    it("cannot use RPCs with the other tenant's id", async () => {
      const pipeline = await client().rpc("pipeline_by_stage", { tenant: attacker.victim });
      expect(pipeline.error).toBeNull();
      expect(pipeline.data).toEqual([]);
      const mine = await client().rpc("pipeline_by_stage", { tenant: attacker.own });
      expect(mine.error).toBeNull();
      const switched = await client().rpc("switch_tenant", { tenant_id: attacker.victim });
      expect(switched.status).toBe(403);
      expect(switched.error).toMatchObject({
        code: "42501",
        message: `not a member of tenant ${attacker.victim}`,
      });
    });
  });

  it("anon reaches nothing either", async () => {
    const anon = server.client();
    for (const table of TABLES) expect((await anon.from(table).select("id")).data, table).toEqual([]);
    const insert = await anon
      .from("products")
      .insert({ tenant_id: ACME, name: "x", sku: "ANON", unit_price: 1 });
    expect(insert.status).toBe(401);
    expect((await anon.rpc("switch_tenant", { tenant_id: ACME })).status).toBe(401);
  });

  it("changed nothing in the database", async () => {
    expect(await fingerprint()).toBe(before);
  });
});
