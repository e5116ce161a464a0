import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RequestContext, withContext } from "../../src/db/context.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { readTenantScope, TenantScopeCache } from "../../src/db/tenant-scope.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

// The data API's tenant scopes (src/db/tenant-scope.ts): that the helpers answer the same with the
// scope the API passes as with their own lookups, and that what the API keeps in memory is
// dropped when memberships, owner rows or declarations change.
let database: TestDatabase;
let db: Database;

const ACME = "00000000-0000-4000-8000-00000000a001";
const GLOBEX = "00000000-0000-4000-8000-00000000b001";

interface User {
  readonly id: string;
  readonly email: string;
}
let users: User[];

beforeAll(async () => {
  database = await createTestDatabase("crm");
  db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 2 });
  users = (await database.query<User>("select id, email from auth.users order by email")).rows;
});
afterAll(async () => {
  await db.close();
  await database.drop();
});

function context(user: string, tenant: string | null): RequestContext {
  return {
    role: "authenticated",
    claims: {
      sub: user,
      role: "authenticated",
      app_metadata: tenant === null ? { provider: "email" } : { provider: "email", tenant_id: tenant },
    },
    token: null,
    headers: {},
    cookies: {},
    method: "GET",
    path: "/contacts",
    requestId: "scope-test",
  };
}

async function userId(email: string): Promise<string> {
  const user = users.find((u) => u.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user.id;
}

/** Waits until `check` passes (a notification travels asynchronously), failing after 3 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe("the helpers with the API's scope", () => {
  it("answer exactly as their own lookups, for every user, in each tenant and in none", async () => {
    const probe = `select groundwork.active_role() as role, groundwork.active_tenant_id() as tenant,
      groundwork.active_tenant_for('{admin}') as admin_tenant, groundwork.has_role('admin') as is_admin,
      groundwork.has_any_role('{account_manager,sales_director}') as is_sales,
      groundwork.has_role('admin', '${GLOBEX}') as globex_admin,
      groundwork.owned_sales_ids() as owned,
      (select count(*) from public.contacts)::int as contacts, (select count(*) from public.sales)::int as sales`;
    let compared = 0;
    for (const user of users) {
      for (const tenant of [ACME, GLOBEX, null]) {
        const ctx = context(user.id, tenant);
        const tenantScope = await readTenantScope(db.admin, user.id, tenant);
        const looked = await withContext(db.api, ctx, async (client) => (await client.query(probe)).rows[0], {
          readOnly: true,
        });
        const passed = await withContext(
          db.api,
          { ...ctx, tenantScope },
          async (client) => {
            const { rows } = await client.query(
              `${probe}, current_setting('request.membership_checked') as checked`,
            );
            return rows[0];
          },
          { readOnly: true },
        );
        expect(passed, `${user.email} in ${tenant}`).toEqual({ ...looked, checked: "on" });
        compared += 1;
      }
    }
    // The example's users see something: the comparison is not between two empty answers.
    const manager = await readTenantScope(db.admin, await userId("manager@test.local"), ACME);
    expect(manager.role).toBe("account_manager");
    expect(manager.owned.owned_sales_ids).toHaveLength(1);
    expect(compared).toBe(users.length * 3);
  });

  it("reads nothing for a tenant the caller does not belong to", async () => {
    const scope = await readTenantScope(db.admin, await userId("manager@test.local"), GLOBEX);
    expect(scope).toEqual({ role: null, owned: { owned_sales_ids: [] } });
  });
});

describe("TenantScopeCache", () => {
  let cache: TenantScopeCache;

  beforeAll(async () => {
    cache = new TenantScopeCache({ admin: db.admin });
    await cache.start();
  });
  afterAll(async () => {
    await cache.close();
  });

  it("passes nothing for anon or a token without a user id", async () => {
    expect(await cache.scopeFor({ ...context("not-a-uuid", ACME) })).toBeUndefined();
    expect(
      await cache.scopeFor({ ...context(await userId("admin@test.local"), ACME), role: "anon" }),
    ).toBeUndefined();
  });

  it("looks a caller up once, for requests arriving together too, then answers from memory", async () => {
    const ctx = context(await userId("director@test.local"), ACME);
    const query = vi.spyOn(db.admin, "query");
    try {
      const [first, together] = await Promise.all([cache.scopeFor(ctx), cache.scopeFor(ctx)]);
      const second = await cache.scopeFor(ctx);
      expect(first).toEqual({ role: "sales_director", owned: { owned_sales_ids: [expect.any(String)] } });
      expect(together).toBe(first);
      expect(second).toBe(first);
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }
  });

  it("drops a user's scope when their membership changes", async () => {
    const manager = await userId("manager@test.local");
    const ctx = context(manager, ACME);
    expect((await cache.scopeFor(ctx))?.role).toBe("account_manager");
    await database.query("update groundwork.memberships set role = 'sales_director' where user_id = $1", [
      manager,
    ]);
    try {
      await eventually(async () => expect((await cache.scopeFor(ctx))?.role).toBe("sales_director"));
      await database.query("delete from groundwork.memberships where user_id = $1 and tenant_id = $2", [
        manager,
        ACME,
      ]);
      await eventually(async () => expect((await cache.scopeFor(ctx))?.role).toBeNull());
    } finally {
      await database.query(
        `insert into groundwork.memberships (user_id, tenant_id, role, is_active) values ($1, $2, 'account_manager', true)
         on conflict (user_id, tenant_id) do update set role = 'account_manager'`,
        [manager, ACME],
      );
    }
    await eventually(async () => expect((await cache.scopeFor(ctx))?.role).toBe("account_manager"));
  });

  it("drops a user's owned keys when the owner table's rows change", async () => {
    const manager = await userId("manager@test.local");
    const ctx = context(manager, ACME);
    const before = (await cache.scopeFor(ctx))?.owned.owned_sales_ids;
    expect(before).toHaveLength(1);
    await database.query("update public.sales set user_id = null where user_id = $1", [manager]);
    try {
      await eventually(async () => expect((await cache.scopeFor(ctx))?.owned.owned_sales_ids).toEqual([]));
    } finally {
      await database.query("update public.sales set user_id = $1 where id = $2", [manager, before?.[0]]);
    }
    await eventually(async () => expect((await cache.scopeFor(ctx))?.owned.owned_sales_ids).toEqual(before));
  });

  it("forgets everyone when a declaration changes or memberships are truncated", async () => {
    await cache.scopeFor(context(await userId("admin@test.local"), ACME));
    expect(cache.size).toBeGreaterThan(0);
    await database.query("update groundwork.protected_tables set declared_at = declared_at");
    await eventually(async () => expect(cache.size).toBe(0));
    await cache.scopeFor(context(await userId("admin@test.local"), ACME));
    expect(cache.size).toBeGreaterThan(0);
    await database.query(`begin; create temp table kept as select * from groundwork.memberships;
      truncate groundwork.memberships; insert into groundwork.memberships select * from kept; commit`);
    await eventually(async () => expect(cache.size).toBe(0));
  });

  it("uses a lookup that raced with a notification for its own request, but does not keep it", async () => {
    const director = await userId("director@test.local");
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A pool whose lookups wait at the gate, so that a notification can arrive in between.
    const slowPool = Object.create(db.admin) as pg.Pool;
    slowPool.query = (async (text: string, values: unknown[]) => {
      const result = await db.admin.query(text, values);
      await gate;
      return result;
    }) as unknown as pg.Pool["query"];
    const slow = new TenantScopeCache({ admin: slowPool });
    await slow.start();
    try {
      const pending = slow.scopeFor(context(director, ACME));
      await database.query("update groundwork.memberships set is_active = is_active where user_id = $1", [
        director,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      expect((await pending)?.role).toBe("sales_director");
      expect(slow.size).toBe(0);
      await slow.scopeFor(context(director, ACME));
      expect(slow.size).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("serves nothing from memory while its LISTEN connection is down, and recovers", async () => {
    const ctx = context(await userId("admin@test.local"), ACME);
    expect((await cache.scopeFor(ctx))?.role).toBe("admin");
    const listener = new pg.Client({ connectionString: database.adminUrl });
    await listener.connect();
    try {
      const { rowCount } = await listener.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and query like 'listen %groundwork_scope%'`,
      );
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await listener.end();
    }
    await eventually(async () => expect(await cache.scopeFor(ctx)).toBeUndefined());
    expect(cache.size).toBe(0);
    await eventually(async () => expect((await cache.scopeFor(ctx))?.role).toBe("admin"));
  });
});
