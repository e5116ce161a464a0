import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Statement } from "../../src/services/rest/execute.js";
import type { TestServer } from "../harness/server.js";
import type { Case } from "./cases/case.js";
import { COMPUTED_CASES, UPSERT_CASES } from "./cases/computed-cases.js";
import { OVERLOAD_CASES } from "./cases/overload-cases.js";
import { PLAN_CASES } from "./cases/plan-cases.js";
import { RELATIONSHIP_CASES } from "./cases/relationship-cases.js";
import { CONFORMANCE_FIXTURE } from "./conformance-fixture.js";
import { type GrammarServer, rest, startGrammarServer } from "./helpers.js";

/** A case that may also check the database afterwards (SQL as superuser, rows it must return). */
type ConformanceCase = Case & { readonly after?: { readonly query: string; readonly rows: unknown[] } };

// Reads first: the write cases change the fixture's rows.
const CASES: readonly ConformanceCase[] = [
  ...RELATIONSHIP_CASES,
  ...OVERLOAD_CASES,
  ...PLAN_CASES,
  ...COMPUTED_CASES,
  ...UPSERT_CASES,
];

describe("PostgREST v14 behaviours, table-driven (platform template)", () => {
  let grammar: GrammarServer;
  let server: TestServer;
  let seen: { last: Statement | null };

  beforeAll(async () => {
    grammar = await startGrammarServer(CONFORMANCE_FIXTURE, "/users?limit=0");
    ({ server, seen } = grammar);
  });
  afterAll(async () => {
    await grammar.close();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      seen.last = null;
      const response = await rest(server, c.path, {
        method: c.method,
        headers: c.headers,
        body: c.body,
        token: server.serviceRoleKey,
      });
      if (response.status !== c.status) throw new Error(`status ${response.status}: ${response.text}`);
      if (c.json !== undefined) expect(response.json).toEqual(c.json);
      c.check?.(response);
      for (const [name, value] of Object.entries(c.responseHeaders ?? {}))
        expect(response.headers.get(name)).toBe(value);
      for (const fragment of c.sql ?? []) expect((seen.last as Statement | null)?.text).toContain(fragment);
      if (c.after) expect((await server.database.query(c.after.query)).rows).toEqual(c.after.rows);
    });
  }

  it("GET / is PostgREST's OpenAPI 2.0 description of the schema", async () => {
    const response = await rest(server, "/", { token: server.serviceRoleKey });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/openapi+json; charset=utf-8");
    const spec = response.json as {
      swagger: string;
      info: { title: string; description: string };
      paths: Record<string, Record<string, { parameters?: unknown[] }>>;
      definitions: Record<
        string,
        { required: string[]; properties: Record<string, Record<string, unknown>> }
      >;
    };
    expect(spec.swagger).toBe("2.0");
    expect(spec.info).toMatchObject({ title: "Groundwork test API", description: "Les données de test 📚" });
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(["/", "/users", "/messages", "/rpc/get_status"]),
    );
    expect(Object.keys(spec.paths["/users"] ?? {}).sort()).toEqual(["delete", "get", "patch", "post"]);
    // A stable function is callable by GET and POST, a volatile one by POST only.
    expect(Object.keys(spec.paths["/rpc/get_status"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(spec.paths["/rpc/over"] ?? {}).sort()).toEqual(["post"]);
    expect(spec.definitions.users?.required).toEqual(["username"]);
    expect(spec.definitions.users?.properties.username).toMatchObject({
      type: "string",
      format: "text",
      description: "Note:\nThis is a Primary Key.<pk/>",
    });
    expect(spec.definitions.users?.properties.age).toMatchObject({
      type: "integer",
      format: "int32",
      description: "Âge en années",
    });
    expect(spec.definitions.messages?.properties.username?.description).toBe(
      "Note:\nThis is a Foreign Key to `users.username`.<fk table='users' column='username'/>",
    );
    expect(spec.definitions.secret_notes).toBeDefined();
  });

  it("GET / lists only what the caller's role may use", async () => {
    const response = await rest(server, "/");
    expect(response.status).toBe(200);
    const spec = response.json as { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    expect(spec.paths["/users"]).toBeDefined();
    expect(spec.paths["/secret_notes"]).toBeUndefined();
    expect(spec.definitions.secret_notes).toBeUndefined();
    expect(spec.paths["/rpc/secret_count"]).toBeUndefined();
  });

  it("GET / with an unacceptable media type is PGRST107", async () => {
    const response = await rest(server, "/", { headers: { accept: "text/csv" } });
    expect(response.status).toBe(406);
    expect((response.json as { code: string }).code).toBe("PGRST107");
  });
});
