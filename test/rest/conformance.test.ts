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
});
