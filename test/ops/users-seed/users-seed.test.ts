import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import { runUsersSeed } from "../../../src/ops/test-users/seed.js";
import type { UsersSeedResult } from "../../../src/ops/test-users/types.js";
import { startTestServer, type TestServer } from "../../harness/server.js";

const COUNTS: Record<string, Record<string, number>> = {
  admin: { organizations: 50, contacts: 100, opportunities: 75, activities: 200, products: 100 },
  director: { organizations: 30, contacts: 60, opportunities: 40, activities: 120 },
  manager: { organizations: 20, contacts: 40, opportunities: 25, activities: 80 },
};

async function checksums(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await databaseChecksums(client);
  } finally {
    await client.end();
  }
}

describe("users seed on the example CRM", () => {
  let server: TestServer;
  let first: UsersSeedResult;
  const tenant = () => server.config.testUsers.tenantId;

  beforeAll(async () => {
    server = await startTestServer();
    // Storage seeds config.toml's buckets shortly after start, in the background: wait for it, so
    // the checksums below compare the users seed alone, not a bucket created between them.
    for (let tries = 0; ; tries += 1) {
      const { rows } = await server.database.query("select 1 from storage.buckets where id = 'attachments'");
      if (rows.length > 0) break;
      if (tries >= 300) throw new Error("storage never seeded config.toml's attachments bucket");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first = await runUsersSeed(server.database.adminUrl, server.config.testUsers, { hashCost: 4 });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it("adopts seed.sql's users: the same uuid_v5(ns_dns, email) ids, no duplicate", async () => {
    const { rows } = await server.database.query<{ email: string; id: string; v5: string; n: string }>(
      `select email, id::text, extensions.uuid_generate_v5(extensions.uuid_ns_dns(), email)::text as v5,
              count(*) over (partition by email) as n
       from auth.users where email in ('admin@test.local', 'director@test.local', 'manager@test.local') order by email`,
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.id).toBe(row.v5);
      expect(row.n).toBe("1");
    }
    expect(first.users.map((u) => [u.email, u.id])).toEqual(
      ["admin@test.local", "director@test.local", "manager@test.local"].map((email) => [
        email,
        rows.find((r) => r.email === email)?.id,
      ]),
    );
    // seed.sql made them without an identity; the seed adds GoTrue's `email` identity.
    expect(first.users.every((u) => u.auth === "updated")).toBe(true);
    const identities = await server.database.query(
      "select count(*)::int as n from auth.identities where provider = 'email' and user_id = any($1::uuid[])",
      [first.users.map((u) => u.id)],
    );
    expect(identities.rows[0]?.n).toBe(3);
  });

  it("makes each a member of the test tenant with its role, active", async () => {
    const { rows } = await server.database.query(
      `select u.email, m.role, m.is_active from groundwork.memberships m join auth.users u on u.id = m.user_id
       where m.tenant_id = $1 order by u.email`,
      [tenant()],
    );
    expect(rows).toEqual([
      { email: "admin@test.local", role: "admin", is_active: true },
      { email: "director@test.local", role: "sales_director", is_active: true },
      { email: "manager@test.local", role: "account_manager", is_active: true },
    ]);
  });

  it("creates the configured rows per role and table, owned through each user's public.sales row", async () => {
    const { rows } = await server.database.query<{ email: string; table: string; n: number }>(
      `select s.email, t.name as table, t.n from public.sales s
       cross join lateral (
         select 'organizations' as name, count(*)::int as n from public.organizations where sales_id = s.id
         union all select 'contacts', count(*)::int from public.contacts where sales_id = s.id
         union all select 'opportunities', count(*)::int from public.opportunities where sales_id = s.id
         union all select 'activities', count(*)::int from public.activities where sales_id = s.id) t
       where s.tenant_id = $1`,
      [tenant()],
    );
    for (const [key, counts] of Object.entries(COUNTS)) {
      for (const [table, n] of Object.entries(counts)) {
        if (table === "products") continue;
        expect(
          rows.find((r) => r.email === `${key}@test.local` && r.table === table)?.n,
          `${key} ${table}`,
        ).toBe(n);
      }
    }
    const products = await server.database.query(
      "select count(*)::int as n from public.products where tenant_id = $1",
      [tenant()],
    );
    expect(products.rows[0]?.n).toBe(100);
    expect(first.tables.find((t) => t.table === "public.contacts")?.perUser).toEqual({
      admin: 100,
      director: 60,
      manager: 40,
    });
  });

  it("respects CHECK, enum and unique constraints with varied values, and keeps related rows coherent", async () => {
    const { rows } = await server.database.query(
      `select (select count(distinct status) from public.contacts where tenant_id = $1)::int as statuses,
              (select count(distinct stage) from public.opportunities where tenant_id = $1)::int as stages,
              (select count(distinct probability) from public.opportunities where tenant_id = $1)::int as probabilities,
              (select min(probability) >= 0 and max(probability) <= 100 from public.opportunities where tenant_id = $1) as in_range,
              (select count(distinct size) from public.organizations where tenant_id = $1)::int as sizes,
              (select count(distinct sku) = count(*) from public.products where tenant_id = $1) as unique_skus,
              (select count(*) from public.activities a join public.opportunities o on o.id = a.opportunity_id
                where a.tenant_id = $1 and a.organization_id is distinct from o.organization_id)::int as incoherent,
              (select count(*) from public.contacts where tenant_id = $1 and email !~ '@example\\.(com|net|org)$')::int as real_domains`,
      [tenant()],
    );
    expect(rows[0]).toMatchObject({ in_range: true, unique_skus: true, incoherent: 0, real_domains: 0 });
    expect(rows[0]?.statuses).toBe(4);
    expect(rows[0]?.stages).toBeGreaterThanOrEqual(6);
    expect(rows[0]?.probabilities).toBeGreaterThanOrEqual(5);
    expect(rows[0]?.sizes).toBeGreaterThanOrEqual(4);
  });

  it("lets each user sign in through supabase-js and see its data under RLS", async () => {
    const seen: Record<string, { contacts: number; own: boolean }> = {};
    for (const key of ["admin", "director", "manager"]) {
      const client = server.client();
      const { error } = await client.auth.signInWithPassword({
        email: `${key}@test.local`,
        password: "TestPass123!",
      });
      expect(error).toBeNull();
      const mine = await client.from("sales").select("id").eq("email", `${key}@test.local`).single();
      const contacts = await client.from("contacts").select("id, sales_id, tenant_id");
      expect(contacts.error).toBeNull();
      const data = contacts.data ?? [];
      expect(data.every((c) => c.tenant_id === tenant())).toBe(true);
      seen[key] = { contacts: data.length, own: data.every((c) => c.sales_id === mine.data?.id) };
    }
    // The manager reads only its own records; the director and the admin the whole tenant's.
    expect(seen.manager).toEqual({ contacts: 40, own: true });
    expect(seen.director).toEqual({ contacts: 200, own: false });
    expect(seen.admin).toEqual({ contacts: 200, own: false });
  });

  it("changes nothing on a second run (same counts and checksums, no hash rewritten)", async () => {
    const before = await checksums(server.database.adminUrl);
    const again = await runUsersSeed(server.database.adminUrl, server.config.testUsers, { hashCost: 4 });
    expect(again.rowsCreated).toBe(0);
    expect(again.users.map((u) => u.auth)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(await checksums(server.database.adminUrl)).toEqual(before);
  });

  it("tops up to the configured counts after rows were deleted, with the same rows as before", async () => {
    const sql = `select c.first_name, c.last_name, c.email, c.phone, c.status from public.contacts c join public.sales s on s.id = c.sales_id
                 where s.email = 'manager@test.local' and c.tenant_id = $1 order by c.id`;
    const before = (await server.database.query(sql, [tenant()])).rows;
    await server.database.query(
      `delete from public.contacts where id in (select c.id from public.contacts c join public.sales s on s.id = c.sales_id
       where s.email = 'manager@test.local' and c.tenant_id = $1 order by c.id desc limit 5)`,
      [tenant()],
    );
    const again = await runUsersSeed(server.database.adminUrl, server.config.testUsers, { hashCost: 4 });
    expect(again.tables.find((t) => t.table === "public.contacts")?.perUser).toEqual({
      admin: 0,
      director: 0,
      manager: 5,
    });
    const after = (await server.database.query(sql, [tenant()])).rows;
    expect(after).toEqual(before);
  });
});
