import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { ACME, GLOBEX, untilServed, userToken } from "./helpers.js";

// supabase-js against the example CRM: RLS makes anon, each tenant's users and service_role
// see different rows, and every feature group of the grammar goes through the real client.
describe("supabase-js on the example project", () => {
  let server: TestServer;
  let anon: SupabaseClient;
  let service: SupabaseClient;
  let acme: SupabaseClient;
  let globex: SupabaseClient;

  beforeAll(async () => {
    server = await startTestServer();
    await server.database.query(`
      create function public.contacts_by_status(s text) returns setof public.contacts
        language sql stable as $$ select * from public.contacts where status = s $$;
      create function public.contact_count() returns bigint
        language sql stable as $$ select count(*) from public.contacts $$;
      create function public.touch_contact(contact bigint) returns void
        language sql as $$ update public.contacts set last_seen = now() where id = contact $$;
      notify pgrst, 'reload schema';`);
    anon = server.client();
    service = server.client(server.serviceRoleKey);
    acme = server.client(await userToken(server, "admin@test.local"));
    globex = server.client(await userToken(server, "globex.admin@test.local"));
    await untilServed(server, "/rpc/contact_count");
  });
  afterAll(async () => {
    await server.close();
  });

  describe("row-level security decides the rows", () => {
    it("anon sees no contacts, each tenant its own, service_role all", async () => {
      expect((await anon.from("contacts").select("id")).data).toEqual([]);
      const all = await service.from("contacts").select("id, tenant_id").order("id");
      expect(all.data).toHaveLength(4);
      const mine = await acme.from("contacts").select("id, tenant_id");
      expect(mine.data).toHaveLength(3);
      expect(mine.data?.every((c) => c.tenant_id === ACME)).toBe(true);
      const theirs = await globex.from("contacts").select("id, tenant_id");
      expect(theirs.data).toEqual([expect.objectContaining({ tenant_id: GLOBEX })]);
    });

    it("a write into another tenant is refused with 403 (authenticated) or 401 (anon)", async () => {
      const product = { tenant_id: GLOBEX, name: "Sneaky", sku: "SNK", unit_price: 1 };
      const asAcme = await acme.from("products").insert(product);
      expect(asAcme.status).toBe(403);
      expect(asAcme.error?.code).toBe("42501");
      const asAnon = await anon.from("products").insert(product);
      expect(asAnon.status).toBe(401);
      const check = await service.from("products").select("id").eq("sku", "SNK");
      expect(check.data).toEqual([]);
    });

    it("an update of rows the caller cannot see changes nothing", async () => {
      const { data, error } = await acme
        .from("organizations")
        .update({ city: "Nowhere" })
        .eq("tenant_id", GLOBEX)
        .select();
      expect(error).toBeNull();
      expect(data).toEqual([]);
      const initech = await service
        .from("organizations")
        .select("city")
        .eq("name", "Initech Freight")
        .single();
      expect(initech.data?.city).toBe("Austin");
    });
  });

  describe("select and embedding", () => {
    it("embeds many-to-one, one-to-many and nested resources with aliases", async () => {
      const { data, error } = await acme
        .from("contacts")
        .select("first_name, org:organizations(name, notes(text)), opportunities(name, stage)")
        .eq("last_name", "Lopez")
        .single();
      expect(error).toBeNull();
      expect(data).toEqual({
        first_name: "Maya",
        org: { name: "Green Grocers", notes: [{ text: "Prefers email before calls." }] },
        opportunities: [{ name: "Supply deal: Organic Oat Milk 1L", stage: "initial_outreach" }],
      });
    });

    it("filters an embed with !inner and orders by a to-one column", async () => {
      const { data } = await acme
        .from("contacts")
        .select("first_name, organizations!inner(city)")
        .eq("organizations.city", "Seattle");
      expect(data).toEqual([{ first_name: "Sam", organizations: { city: "Seattle" } }]);
      const ordered = await service
        .from("contacts")
        .select("first_name, organizations(name)")
        .order("name", { referencedTable: "organizations", ascending: false });
      expect(ordered.error).toBeNull();
      const plain = await service
        .from("organizations")
        .select("name, contacts(first_name)")
        .order("name")
        .limit(1);
      expect(plain.data).toEqual([{ name: "Green Grocers", contacts: [{ first_name: "Maya" }] }]);
    });

    it("counts with head, exact counts and ranges", async () => {
      const head = await service.from("contacts").select("*", { count: "exact", head: true });
      expect(head.count).toBe(4);
      expect(head.data).toBeNull();
      const page = await service.from("contacts").select("id", { count: "exact" }).order("id").range(1, 2);
      expect(page.status).toBe(206);
      expect(page.count).toBe(4);
      expect(page.data).toEqual([{ id: 2 }, { id: 3 }]);
    });

    it("casts and JSON paths in select", async () => {
      const { data } = await service
        .from("products")
        .select("price:unit_price::text, sku")
        .eq("sku", "ACME-CB-500");
      expect(data).toEqual([{ price: "7.90", sku: "ACME-CB-500" }]);
    });
  });

  describe("filters", () => {
    it("comparison, pattern, list, null and logic filters", async () => {
      const names = async (query: PromiseLike<{ data: { first_name: string }[] | null }>) =>
        ((await query).data ?? []).map((c) => c.first_name).sort();
      expect(await names(service.from("contacts").select("first_name").neq("status", "warm"))).toEqual([
        "Ines",
        "Sam",
      ]);
      expect(
        await names(service.from("contacts").select("first_name").ilike("email", "%NORTHWIND%")),
      ).toEqual(["Ines"]);
      expect(
        await names(service.from("contacts").select("first_name").in("status", ["hot", "cold"])),
      ).toEqual(["Ines", "Sam"]);
      expect(
        await names(service.from("contacts").select("first_name").is("background", null).gt("id", 3)),
      ).toEqual(["Peter"]);
      expect(
        await names(service.from("contacts").select("first_name").or("status.eq.hot,last_name.eq.Berg")),
      ).toEqual(["Ines", "Sam"]);
      expect(
        await names(service.from("contacts").select("first_name").not("status", "in", "(warm,hot)")),
      ).toEqual(["Ines"]);
      expect(await names(service.from("contacts").select("first_name").contains("tags", []))).toHaveLength(4);
      expect(
        await names(service.from("contacts").select("first_name").textSearch("title", "purchasing")),
      ).toEqual(["Ines"]);
      expect(
        await names(
          service.from("contacts").select("first_name").match({ status: "warm", last_name: "Gibbons" }),
        ),
      ).toEqual(["Peter"]);
    });
  });

  describe("media types", () => {
    it("single() answers PGRST116 when not exactly one row, maybeSingle() null", async () => {
      const none = await acme.from("contacts").select("id").eq("id", 4).single();
      expect(none.status).toBe(406);
      expect(none.error).toMatchObject({ code: "PGRST116", details: "The result contains 0 rows" });
      const maybe = await acme.from("contacts").select("id").eq("id", 4).maybeSingle();
      expect(maybe.data).toBeNull();
      expect(maybe.error).toBeNull();
    });

    it("csv() returns text/csv with a header line", async () => {
      const { data } = await service.from("products").select("sku,unit_price").eq("sku", "GLX-PLP").csv();
      expect(data).toBe("sku,unit_price\nGLX-PLP,1200.00");
    });

    it("an unexposed schema is PGRST106", async () => {
      const { error, status } = await service.schema("private").from("x").select();
      expect(status).toBe(406);
      expect(error?.code).toBe("PGRST106");
    });
  });

  describe("writes", () => {
    it("insert, update, upsert and delete as a tenant member", async () => {
      const inserted = await acme
        .from("products")
        .insert({ tenant_id: ACME, name: "Matcha", sku: "ACME-MT", unit_price: 9.5 })
        .select("id, name")
        .single();
      expect(inserted.status).toBe(201);
      expect(inserted.data).toMatchObject({ name: "Matcha" });
      const id = inserted.data?.id as number;
      const updated = await acme
        .from("products")
        .update({ unit_price: 10 })
        .eq("id", id)
        .select("unit_price");
      expect(updated.data).toEqual([{ unit_price: 10 }]);
      const upsert = await acme
        .from("products")
        .upsert(
          { tenant_id: ACME, sku: "ACME-MT", name: "Matcha Latte", unit_price: 11 },
          { onConflict: "tenant_id,sku" },
        )
        .select("id, name");
      expect(upsert.status).toBe(200);
      expect(upsert.data).toEqual([{ id, name: "Matcha Latte" }]);
      const bulk = await acme.from("products").insert([
        { tenant_id: ACME, name: "A", sku: "ACME-A", unit_price: 1 },
        { tenant_id: ACME, name: "B", sku: "ACME-B", unit_price: 2, category: "x" },
      ]);
      expect(bulk.status).toBe(201);
      const removed = await acme
        .from("products")
        .delete()
        .in("sku", ["ACME-A", "ACME-B", "ACME-MT"])
        .select("sku");
      expect(removed.data?.map((p) => p.sku).sort()).toEqual(["ACME-A", "ACME-B", "ACME-MT"]);
    });

    it("a constraint violation is 409 / 400 with Postgres's message and nothing is written", async () => {
      const duplicate = await acme
        .from("products")
        .insert({ tenant_id: ACME, name: "Dup", sku: "ACME-OAT-1L", unit_price: 1 });
      expect(duplicate.status).toBe(409);
      // Postgres leaves the key values out of DETAIL when the table has RLS, as PostgREST shows.
      expect(duplicate.error).toMatchObject({
        code: "23505",
        message: 'duplicate key value violates unique constraint "products_tenant_id_sku_key"',
        details: null,
      });
      const asService = await service
        .from("products")
        .insert({ tenant_id: ACME, name: "Dup", sku: "ACME-OAT-1L", unit_price: 1 });
      expect(asService.error?.details).toMatch(/^Key \(tenant_id, sku\)=\(.*\) already exists\.$/);
      const check = await acme
        .from("products")
        .insert({ tenant_id: ACME, name: "Neg", sku: "NEG", unit_price: -1 });
      expect(check.status).toBe(400);
      expect(check.error?.code).toBe("23514");
      expect((await service.from("products").select("id").eq("sku", "NEG")).data).toEqual([]);
    });
  });

  describe("rpc", () => {
    it("calls set-returning, scalar and void functions under RLS", async () => {
      const hot = await acme.rpc("contacts_by_status", { s: "hot" }).select("first_name");
      expect(hot.data).toEqual([{ first_name: "Sam" }]);
      const hidden = await globex.rpc("contacts_by_status", { s: "hot" });
      expect(hidden.data).toEqual([]);
      expect((await acme.rpc("contact_count")).data).toBe(3);
      expect((await acme.rpc("contact_count", {}, { get: true })).data).toBe(3);
      const voided = await acme.rpc("touch_contact", { contact: 1 });
      expect(voided.status).toBe(204);
      const missing = await acme.rpc("no_such_function", { a: 1 });
      expect(missing.status).toBe(404);
      expect(missing.error?.code).toBe("PGRST202");
    });

    it("a GET call runs read-only: a volatile function that writes fails with 25006 -> 405", async () => {
      const { status, error } = await acme.rpc("touch_contact", { contact: 1 }, { get: true });
      expect(status).toBe(405);
      expect(error?.code).toBe("25006");
    });
  });
});
