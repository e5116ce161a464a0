import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestContext } from "../../src/db/context.js";
import { pipelinedRead } from "../../src/db/pipelined-read.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
/** One connection, so every call below reuses the same server session. */
let db: Database;

const caller: RequestContext = {
  role: "authenticated",
  claims: { sub: "6f0b7b8e-5b0e-4c3e-9a51-0c6f2f3b1a01", role: "authenticated" },
  token: null,
  headers: { "user-agent": "vitest" },
  cookies: {},
  method: "GET",
  path: "/todos",
  requestId: "r1",
};

function read(name: string, text: string, values: (string | null)[] = []) {
  return pipelinedRead(db.api, caller, { name, text, values }, { searchPath: ["public", "extensions"] });
}

beforeAll(async () => {
  database = await createTestDatabase("platform");
  db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 1 });
});
afterAll(async () => {
  await db.close();
  await database.drop();
});

describe("pipelinedRead (settings and statement in one round trip)", () => {
  it("runs the statement as the caller, read-only, with the settings, as text values", async () => {
    const row = await read(
      "who",
      `select current_user::text, auth.uid()::text, current_setting('transaction_read_only'),
              current_setting('search_path'), $1::int + 1, null::text`,
      ["41"],
    );
    expect(row).toEqual(["authenticated", caller.claims.sub, "on", `"public", "extensions"`, "42", null]);
  });

  it("leaves nothing behind: the settings ended with the implicit transaction", async () => {
    await read("who2", "select 1");
    const client = await db.api.connect();
    try {
      const { rows } = await client.query(
        "select current_user::text as role, current_setting('request.jwt.claims', true) as claims, current_setting('transaction_read_only') as ro",
      );
      expect(rows[0]).toEqual({ role: "authenticator", claims: "", ro: "off" });
    } finally {
      client.release();
    }
  });

  it("refuses writes (25006) and the connection stays usable", async () => {
    await expect(read("write", "create table public.nope (id int)")).rejects.toMatchObject({ code: "25006" });
    expect(await read("after-write", "select 'ok'")).toEqual(["ok"]);
  });

  it("re-prepares a statement whose first run failed after it was parsed, on the same connection", async () => {
    const text = "select (10 / $1::int)::text";
    await expect(read("divide", text, ["0"])).rejects.toMatchObject({ code: "22012" });
    expect(await read("divide", text, ["5"])).toEqual(["2"]);
    expect(await read("divide", text, ["2"])).toEqual(["5"]);
  });

  it("reports a statement that does not parse (42601) and goes on", async () => {
    await expect(read("broken", "selec 1")).rejects.toMatchObject({ code: "42601" });
    expect(await read("fine", "select 2")).toEqual(["2"]);
  });

  it("binds each request's own settings to the one prepared settings statement", async () => {
    const asOther = (sub: string) =>
      pipelinedRead(
        db.api,
        { ...caller, claims: { ...caller.claims, sub }, headers: { "user-agent": `agent ${sub}` } },
        {
          name: "who3",
          text: "select auth.uid()::text, current_setting('request.headers')::json ->> 'user-agent'",
          values: [],
        },
        { searchPath: ["public", "extensions"] },
      );
    const other = "00000000-0000-4000-8000-000000000001";
    expect(await asOther(other)).toEqual([other, `agent ${other}`]);
    expect(await asOther(String(caller.claims.sub))).toEqual([
      caller.claims.sub,
      `agent ${caller.claims.sub}`,
    ]);
    const client = await db.api.connect();
    try {
      const { rows } = await client.query(
        "select count(*)::int as n from pg_prepared_statements where statement like 'select set_config(%'",
      );
      expect(rows[0]).toEqual({ n: 1 });
    } finally {
      client.release();
    }
  });

  it("recovers when the settings themselves fail (a role it may not become)", async () => {
    await expect(
      pipelinedRead(db.api, { ...caller, role: "postgres" }, { name: "who4", text: "select 1", values: [] }),
    ).rejects.toThrow(/permission denied to set role "postgres"/);
    expect(await read("who4", "select current_user::text")).toEqual(["authenticated"]);
  });

  it("returns null when the statement returns no row", async () => {
    expect(await read("none", "select 1 where false")).toBeNull();
  });
});
