import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPlatformSchema, platformFiles, platformSchemaIsCurrent } from "../../src/platform/apply.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let authenticator: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  authenticator = new pg.Pool({ connectionString: database.apiUrl, max: 2 });
});
afterAll(async () => {
  await authenticator.end();
  await database.drop();
});

/** Runs statements in one rolled-back transaction as authenticator and returns the last result's rows. */
async function asAuthenticator(statements: string[]): Promise<Record<string, unknown>[]> {
  const client = await authenticator.connect();
  try {
    await client.query("begin");
    let rows: Record<string, unknown>[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows;
    return rows;
  } finally {
    await client.query("rollback").catch(() => {});
    client.release();
  }
}

describe("platform schema", () => {
  it("is applied and tracked, and re-applying changes nothing", async () => {
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      expect(await platformSchemaIsCurrent(client)).toBe(true);
      expect(await applyPlatformSchema(client)).toEqual([]);
      const { rows } = await client.query("select version from groundwork.platform_migrations order by 1");
      expect(rows.map((r) => r.version)).toEqual(platformFiles().map((f) => f.version));
    } finally {
      await client.end();
    }
  });

  it("re-runs a platform file whose checksum changed (files are idempotent)", async () => {
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      await client.query("update groundwork.platform_migrations set checksum = 'old' where version = 4");
      expect(await platformSchemaIsCurrent(client)).toBe(false);
      expect(await applyPlatformSchema(client)).toEqual(["0004_storage"]);
      expect(await platformSchemaIsCurrent(client)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it("makes authenticator a plain login role that can become only the three API roles", async () => {
    const [role] = (
      await database.query(
        "select rolsuper, rolbypassrls, rolinherit, rolcanlogin from pg_roles where rolname = 'authenticator'",
      )
    ).rows;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolinherit: false, rolcanlogin: true });
    for (const target of ["anon", "authenticated", "service_role"]) {
      expect(await asAuthenticator([`set local role ${target}`, "select current_user as who"])).toEqual([
        { who: target },
      ]);
    }
    await expect(asAuthenticator(["set local role postgres"])).rejects.toThrow(
      /permission denied to set role "postgres"/,
    );
    await expect(
      asAuthenticator(["set local role authenticated", "select * from auth.users"]),
    ).rejects.toThrow(/permission denied for table users/);
  });

  it("gives service_role BYPASSRLS and leaves anon to RLS", async () => {
    await database.query(`
      create table public.secrets (id int primary key, owner uuid);
      alter table public.secrets enable row level security;
      insert into public.secrets values (1, null);`);
    expect(
      await asAuthenticator(["set local role anon", "select count(*)::int as n from public.secrets"]),
    ).toEqual([{ n: 0 }]);
    expect(
      await asAuthenticator(["set local role service_role", "select count(*)::int as n from public.secrets"]),
    ).toEqual([{ n: 1 }]);
  });

  it("grants the API roles Supabase's default privileges on new tables in public", async () => {
    await database.query("create table public.later (id int)");
    const { rows } = await database.query(
      "select has_table_privilege('anon', 'public.later', 'select') as anon, has_table_privilege('authenticated', 'public.later', 'insert') as auth",
    );
    expect(rows[0]).toEqual({ anon: true, auth: true });
  });

  it("implements auth.uid(), role(), email() and jwt() with Supabase's fallbacks", async () => {
    const claims = JSON.stringify({
      sub: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01",
      role: "authenticated",
      email: "a@b.co",
    });
    // Only the claims object (PostgREST >= 9).
    expect(
      await asAuthenticator([
        "set local role authenticated",
        `select set_config('request.jwt.claims', '${claims}', true)`,
        "select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'email' as jwt_email",
      ]),
    ).toEqual([
      {
        uid: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01",
        role: "authenticated",
        email: "a@b.co",
        jwt_email: "a@b.co",
      },
    ]);
    // The legacy per-claim setting wins; an empty one counts as unset.
    expect(
      await asAuthenticator([
        "set local role authenticated",
        `select set_config('request.jwt.claims', '${claims}', true)`,
        "select set_config('request.jwt.claim.sub', '11111111-1111-1111-1111-111111111111', true)",
        "select auth.uid()::text as uid",
      ]),
    ).toEqual([{ uid: "11111111-1111-1111-1111-111111111111" }]);
    expect(
      await asAuthenticator([
        "set local role authenticated",
        `select set_config('request.jwt.claims', '${claims}', true)`,
        "select set_config('request.jwt.claim.sub', '', true)",
        "select auth.uid()::text as uid",
      ]),
    ).toEqual([{ uid: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01" }]);
    // Nothing set: null, not an error.
    expect(
      await asAuthenticator([
        "set local role anon",
        "select auth.uid() as uid, auth.jwt() as jwt, auth.role() as role",
      ]),
    ).toEqual([{ uid: null, jwt: null, role: null }]);
  });

  it("provides the storage path helpers", async () => {
    const { rows } = await database.query(
      "select storage.foldername('a/b/c.png') as folders, storage.filename('a/b/c.png') as file, storage.extension('a/b/c.tar.gz') as ext",
    );
    expect(rows[0]).toEqual({ folders: ["a", "b"], file: "c.png", ext: "gz" });
  });

  it("puts pgcrypto and uuid-ossp in schema extensions, on the search path", async () => {
    const { rows } = await database.query(
      "select extname, extnamespace::regnamespace::text as schema from pg_extension where extname in ('pgcrypto', 'uuid-ossp') order by 1",
    );
    expect(rows).toEqual([
      { extname: "pgcrypto", schema: "extensions" },
      { extname: "uuid-ossp", schema: "extensions" },
    ]);
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      const result = await client.query(
        "select crypt('pw', gen_salt('bf')) like '$2a$%' as bcrypt, uuid_generate_v4() is not null as uuid",
      );
      expect(result.rows[0]).toEqual({ bcrypt: true, uuid: true });
    } finally {
      await client.end();
    }
  });

  it("creates the supabase_realtime publication that Supabase migrations add tables to", async () => {
    await database.query(
      "create table public.feed (id int primary key); alter publication supabase_realtime add table public.feed",
    );
    const { rows } = await database.query(
      "select tablename from pg_publication_tables where pubname = 'supabase_realtime'",
    );
    expect(rows).toEqual([{ tablename: "feed" }]);
  });
});
