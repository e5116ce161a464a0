import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformFiles } from "../../src/platform/apply.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

// groundwork.protect() on the platform template: what it creates, what it refuses, and that a
// second declaration replaces the first.
let database: TestDatabase;

const TENANT_A = "00000000-0000-4000-8000-0000000000a1";
const TENANT_B = "00000000-0000-4000-8000-0000000000b1";
const ALICE = "00000000-0000-4000-8000-00000000a11c";
const BOB = "00000000-0000-4000-8000-000000000b0b";
const CAROL = "00000000-0000-4000-8000-0000000ca201";

beforeAll(async () => {
  database = await createTestDatabase("platform");
  await database.query(`
    insert into groundwork.tenants (id, name, slug) values ('${TENANT_A}', 'A', 'a'), ('${TENANT_B}', 'B', 'b');
    insert into auth.users (id, email, aud, role) values
      ('${ALICE}', 'alice@example.com', 'authenticated', 'authenticated'),
      ('${BOB}', 'bob@example.com', 'authenticated', 'authenticated'),
      ('${CAROL}', 'carol@example.com', 'authenticated', 'authenticated');
    insert into groundwork.memberships (user_id, tenant_id, role, is_active) values
      ('${ALICE}', '${TENANT_A}', 'editor', true), ('${BOB}', '${TENANT_A}', 'viewer', true),
      ('${CAROL}', '${TENANT_B}', 'editor', true);
    create table public.docs (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references groundwork.tenants (id),
      owner_id uuid references auth.users (id),
      title text not null
    );
    insert into public.docs (tenant_id, owner_id, title) values
      ('${TENANT_A}', '${ALICE}', 'alice doc'), ('${TENANT_A}', '${BOB}', 'bob doc'), ('${TENANT_B}', '${CAROL}', 'carol doc');`);
});
afterAll(async () => {
  await database.drop();
});

/** Runs `sql` in a rolled-back transaction as `user` with the claims the kit's hook gives them. */
async function asUser(user: string | null, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: database.apiUrl });
  await client.connect();
  try {
    await client.query("begin");
    if (user === null) {
      await client.query(
        "select set_config('role', 'anon', true), set_config('request.jwt.claims', '{\"role\":\"anon\"}', true)",
      );
    } else if (user === "service_role") {
      await client.query(
        "select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)",
      );
    } else {
      const { rows } = await database.query(
        `select groundwork.access_token_hook(jsonb_build_object('user_id', $1::uuid,
           'claims', jsonb_build_object('sub', $1::text, 'role', 'authenticated'))) -> 'claims' as claims`,
        [user],
      );
      await client.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify(rows[0]?.claims)],
      );
    }
    return await client.query(sql, params);
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end();
  }
}

async function policies(): Promise<
  { policyname: string; cmd: string; roles: string[]; qual: string | null }[]
> {
  const { rows } = await database.query(
    "select policyname, cmd, roles::text[] as roles, qual, with_check from pg_policies where tablename = 'docs' order by policyname",
  );
  return rows as { policyname: string; cmd: string; roles: string[]; qual: string | null }[];
}

describe("groundwork.protect", () => {
  it("enables RLS, writes one permissive policy per command for authenticated, indexes the policy columns", async () => {
    const { rows } = await database.query(
      `select groundwork.protect('public.docs', rights => '{"editor": "tenant", "viewer": {"read": "tenant", "write": "own"}}',
                                 owner_column => 'owner_id') as result`,
    );
    expect(rows[0]?.result).toMatchObject({
      table: "public.docs",
      policies: ["groundwork_select", "groundwork_insert", "groundwork_update", "groundwork_delete"],
      indexes_created: ["docs_tenant_id_idx", "docs_owner_id_idx"],
    });
    const rls = await database.query(
      "select relrowsecurity from pg_class where oid = 'public.docs'::regclass",
    );
    expect(rls.rows[0]?.relrowsecurity).toBe(true);
    const list = await policies();
    expect(list.map((p) => p.cmd).sort()).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
    for (const policy of list) {
      expect(policy.roles).toEqual(["authenticated"]);
      // Supabase's guidance: every helper wrapped in a select so it runs once per statement.
      const text = `${policy.qual ?? ""} ${(policy as { with_check?: string }).with_check ?? ""}`;
      expect(text).toMatch(/tenant_id = \( SELECT groundwork\.claimed_tenant_id\(\)/);
      expect(text).toMatch(/\( SELECT \(groundwork\.active_role\(\) = (ANY \(ARRAY\[)?'editor'::text/);
    }
    // Per row, the policies compare columns with initPlan results: no helper runs per row.
    const statements = [
      "select * from public.docs",
      "update public.docs set title = title",
      "delete from public.docs",
    ];
    for (const statement of statements) {
      const plan = (await asUser(ALICE, `explain (verbose, costs off) ${statement}`)).rows
        .map((row) => row["QUERY PLAN"] as string)
        .join("\n");
      const filters = plan.split("\n").filter((line) => /^\s*Filter:/.test(line));
      expect(filters.length, plan).toBeGreaterThan(0);
      for (const filter of filters) expect(filter, plan).not.toMatch(/groundwork\.|auth\./);
      expect(plan).toMatch(/InitPlan/);
    }
    const catalog = await database.query(
      "select rights from groundwork.protected_tables where table_name = 'public.docs'",
    );
    expect(catalog.rows[0]?.rights).toEqual({
      editor: { select: "tenant", insert: "tenant", update: "tenant", delete: "tenant" },
      viewer: { select: "tenant", insert: "own", update: "own", delete: "own" },
    });
  });

  it("lets each role reach what its scope says, and refuses forged tenants and owners", async () => {
    expect((await asUser(ALICE, "select title from public.docs order by id")).rows).toEqual([
      { title: "alice doc" },
      { title: "bob doc" },
    ]);
    expect((await asUser(CAROL, "select title from public.docs")).rows).toEqual([{ title: "carol doc" }]);
    expect((await asUser(null, "select title from public.docs")).rows).toEqual([]);
    // Bob (viewer) reads the tenant but writes only his own rows.
    expect(
      (await asUser(BOB, "update public.docs set title = 'x' where owner_id = $1", [ALICE])).rowCount,
    ).toBe(0);
    expect(
      (await asUser(BOB, "update public.docs set title = 'x' where owner_id = $1", [BOB])).rowCount,
    ).toBe(1);
    await expect(
      asUser(BOB, "insert into public.docs (tenant_id, owner_id, title) values ($1, $2, 'forged owner')", [
        TENANT_A,
        ALICE,
      ]),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      asUser(ALICE, "insert into public.docs (tenant_id, owner_id, title) values ($1, $2, 'forged tenant')", [
        TENANT_B,
        ALICE,
      ]),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      asUser(ALICE, "update public.docs set tenant_id = $1 where owner_id = $2", [TENANT_B, ALICE]),
    ).rejects.toMatchObject({ code: "42501" });
    // service_role bypasses row-level security.
    expect((await asUser("service_role", "select count(*)::int as n from public.docs")).rows).toEqual([
      { n: 3 },
    ]);
  });

  it("re-declaring replaces the policies cleanly", async () => {
    await database.query(
      `select groundwork.protect('public.docs', rights => '{"editor": {"read": "tenant"}}')`,
    );
    const list = await policies();
    expect(list.map((p) => p.policyname)).toEqual(["groundwork_select"]);
    await expect(
      asUser(ALICE, "insert into public.docs (tenant_id, title) values ($1, 'now refused')", [TENANT_A]),
    ).rejects.toMatchObject({ code: "42501" });
    expect((await asUser(BOB, "select title from public.docs")).rows).toEqual([]);
    const indexes = await database.query(
      "select count(*)::int as n from pg_indexes where tablename = 'docs' and indexname like 'docs_tenant_id%'",
    );
    expect(indexes.rows[0]).toEqual({ n: 1 });
  });

  it("refuses bad declarations with 22023 and a message that names the problem", async () => {
    const bad = async (sql: string) =>
      database.query(sql).then(
        () => {
          throw new Error("accepted");
        },
        (error: Error & { code?: string }) => ({ code: error.code, message: error.message }),
      );
    expect(await bad(`select groundwork.protect('public.docs', '{"editor": "everything"}')`)).toEqual({
      code: "22023",
      message: 'rights for role "editor": "all" must be tenant, own or none (got "everything")',
    });
    expect(
      await bad(`select groundwork.protect('public.docs', '{"editor": {"reed": "tenant"}}')`),
    ).toMatchObject({
      code: "22023",
      message: expect.stringContaining('unknown key "reed"'),
    });
    expect(await bad(`select groundwork.protect('public.docs', '{"editor": "own"}')`)).toMatchObject({
      message: expect.stringContaining('an "own" scope on public.docs needs owner_column'),
    });
    expect(
      await bad(`select groundwork.protect('public.docs', '{"editor": "tenant"}', tenant_column => 'title')`),
    ).toMatchObject({
      message: "tenant column public.docs.title must exist and be a uuid",
    });
  });

  it("refuses to sit beside other permissive policies unless told to drop them", async () => {
    await database.query(
      'create policy "anyone reads" on public.docs for select to authenticated using (true)',
    );
    await expect(
      database.query(`select groundwork.protect('public.docs', '{"editor": "tenant"}')`),
    ).rejects.toMatchObject({ code: "55000", message: expect.stringContaining('"anyone reads"') });
    await database.query(
      `select groundwork.protect('public.docs', '{"editor": "tenant"}', drop_other_policies => true)`,
    );
    expect((await policies()).map((p) => p.policyname)).not.toContain("anyone reads");
  });

  it("unprotect removes the policies and the declaration but leaves the table closed", async () => {
    await database.query("select groundwork.unprotect('public.docs')");
    expect(await policies()).toEqual([]);
    expect((await asUser(ALICE, "select title from public.docs")).rows).toEqual([]);
    const catalog = await database.query("select count(*)::int as n from groundwork.protected_tables");
    expect(catalog.rows[0]).toEqual({ n: 0 });
  });

  it("a platform upgrade writes the owner helpers again from the current template", async () => {
    await database.query(`
      create table public.people (id uuid primary key, tenant_id uuid not null, user_id uuid not null);
      create table public.deals (
        id bigint generated always as identity primary key,
        tenant_id uuid not null,
        person_id uuid references public.people (id)
      );
      insert into public.people values ('${CAROL}', '${TENANT_B}', '${CAROL}');
      select groundwork.protect('public.deals', '{"editor": "own"}', owner_column => 'person_id',
                                owner_table => 'public.people');
      -- What an older platform version might have left behind.
      create or replace function groundwork.owned_people_ids() returns uuid[]
      language sql stable security definer set search_path = '' as $$ select '{}'::uuid[] $$;`);
    // The owner helper looks the caller up by people.user_id, so that is indexed too.
    const indexes = await database.query(
      "select indexname from pg_indexes where tablename in ('people', 'deals') order by indexname",
    );
    expect(indexes.rows.map((row) => row.indexname)).toEqual([
      "deals_person_id_idx",
      "deals_pkey",
      "deals_tenant_id_idx",
      "people_pkey",
      "people_user_id_idx",
    ]);
    expect((await asUser(CAROL, "select groundwork.owned_people_ids() as ids")).rows[0]?.ids).toEqual([]);
    const protectFile = platformFiles().find((file) => file.name === "protect");
    await database.query(protectFile?.sql ?? "");
    expect((await asUser(CAROL, "select groundwork.owned_people_ids() as ids")).rows[0]?.ids).toEqual([
      CAROL,
    ]);
    await database.query(
      "select groundwork.unprotect('public.deals'); drop table public.deals, public.people",
    );
  });
});
