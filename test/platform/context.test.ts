import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeLiteral, type RequestContext, withContext } from "../../src/db/context.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let db: Database;

const caller: RequestContext = {
  role: "authenticated",
  claims: { sub: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01", role: "authenticated", email: "o'neil@example.com" },
  token: null,
  headers: { "user-agent": "vitest", "x-request-id": "r1" },
  cookies: { session: "abc" },
  method: "GET",
  path: "/todos",
  requestId: "r1",
};

beforeAll(async () => {
  database = await createTestDatabase("platform");
  db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 1 });
});
afterAll(async () => {
  await db.close();
  await database.drop();
});

describe("withContext", () => {
  it("runs as the caller with PostgREST's settings, and the legacy claim settings", async () => {
    const row = await withContext(
      db.api,
      caller,
      async (client) => {
        const { rows } =
          await client.query(`select current_user as role, auth.uid()::text as uid, auth.email() as email,
        current_setting('request.method') as method, current_setting('request.path') as path,
        current_setting('request.headers')::json ->> 'user-agent' as agent,
        current_setting('request.cookies')::json ->> 'session' as cookie,
        current_setting('request.jwt.claim.role') as claim_role, current_setting('search_path') as search_path`);
        return rows[0];
      },
      { searchPath: ["public", "extensions"] },
    );
    expect(row).toEqual({
      role: "authenticated",
      uid: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01",
      email: "o'neil@example.com",
      method: "GET",
      path: "/todos",
      agent: "vitest",
      cookie: "abc",
      claim_role: "authenticated",
      search_path: '"public", "extensions"',
    });
  });

  it("leaves nothing on the pooled connection for the next request", async () => {
    await withContext(db.api, caller, async () => {});
    // The pool has one connection, so this is the same one.
    const client = await db.api.connect();
    try {
      const { rows } = await client.query(
        "select current_user as role, coalesce(current_setting('request.jwt.claims', true), '') as claims, coalesce(current_setting('request.jwt.claim.sub', true), '') as sub",
      );
      expect(rows[0]).toEqual({ role: "authenticator", claims: "", sub: "" });
    } finally {
      client.release();
    }
  });

  it("rolls back on error and on request, commits otherwise", async () => {
    await database.query(
      "create table public.notes (id int primary key, body text); grant all on public.notes to service_role",
    );
    const service: RequestContext = { ...caller, role: "service_role", claims: { role: "service_role" } };
    await withContext(db.api, service, (client) =>
      client.query("insert into public.notes values (1, 'kept')"),
    );
    await expect(
      withContext(db.api, service, async (client) => {
        await client.query("insert into public.notes values (2, 'lost')");
        await client.query("insert into public.notes values (1, 'duplicate')");
      }),
    ).rejects.toThrow(/duplicate key/);
    await withContext(db.api, service, async (client, control) => {
      await client.query("insert into public.notes values (3, 'rehearsal')");
      control.rollback();
    });
    const { rows } = await database.query("select id from public.notes order by id");
    expect(rows).toEqual([{ id: 1 }]);
  });

  it("opens read-only transactions when asked", async () => {
    await expect(
      withContext(db.api, caller, (client) => client.query("create temp table x (id int)"), {
        readOnly: true,
      }),
    ).rejects.toThrow(/read-only transaction/);
  });

  it("refuses to become a role authenticator was not granted", async () => {
    await expect(
      withContext(db.api, { ...caller, role: "postgres" }, (client) => client.query("select 1")),
    ).rejects.toThrow(/permission denied to set role "postgres"/);
  });

  it("reads the token's tenant claim once, as groundwork.claimed_tenant_id() reads it from the claims", async () => {
    const tenant = "00000000-0000-4000-8000-0000000000A1";
    const cases: [unknown, string | null][] = [
      [{ tenant_id: tenant }, tenant.toLowerCase()],
      [{ tenant_id: "not-a-uuid" }, null],
      [{ tenant_id: `${tenant}0` }, null],
      [{ tenant_id: "00000000000040008000-0000000000a1" }, null],
      [{ tenant_id: 42 }, null],
      [{ tenant_id: "00000000-0000-0000-0000-000000000000" }, null],
      [undefined, null],
    ];
    for (const [appMetadata, expected] of cases) {
      const claims = { ...caller.claims, app_metadata: appMetadata };
      const answers = await withContext(db.api, { ...caller, claims }, async (client) => {
        const viaSetting = await client.query(
          "select groundwork.claimed_tenant_id()::text as id, current_setting('request.tenant_id') as setting",
        );
        expect(viaSetting.rows[0]?.setting.toLowerCase()).toBe(
          expected ?? "00000000-0000-0000-0000-000000000000",
        );
        // Without the server's setting (SQL tests, another API in front): read from the claims.
        await client.query("select set_config('request.tenant_id', '', true)");
        const viaClaims = await client.query("select groundwork.claimed_tenant_id()::text as id");
        return [viaSetting.rows[0]?.id, viaClaims.rows[0]?.id];
      });
      expect(answers, JSON.stringify(appMetadata)).toEqual([expected, expected]);
    }
  });

  it("quotes setting values safely whatever they contain", () => {
    expect(escapeLiteral("a'b\\c")).toBe("E'a''b\\\\c'");
    expect(() => escapeLiteral("nul\u0000")).toThrow(/NUL/);
  });
});
