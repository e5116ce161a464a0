import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Statement } from "../../src/services/rest/execute.js";
import type { TestServer } from "../harness/server.js";
import { CHANGE_CASES, INSERT_CASES, type WriteCase } from "./cases/write-cases.js";
import { type GrammarServer, type RestResponse, rest, startGrammarServer } from "./helpers.js";

const CASES: readonly WriteCase[] = [...INSERT_CASES, ...CHANGE_CASES];

describe("writes, table-driven (platform template)", () => {
  let grammar: GrammarServer;
  let server: TestServer;
  let seen: { last: Statement | null };

  beforeAll(async () => {
    grammar = await startGrammarServer();
    ({ server, seen } = grammar);
  });
  afterAll(async () => {
    await grammar.close();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      seen.last = null;
      const response: RestResponse = await rest(server, c.path, {
        method: c.method,
        headers: c.headers,
        body: c.body,
        token: server.serviceRoleKey,
      });
      if (response.status !== c.status) throw new Error(`status ${response.status}: ${response.text}`);
      if (c.json !== undefined) expect(response.json).toEqual(c.json);
      for (const [name, value] of Object.entries(c.responseHeaders ?? {}))
        expect(response.headers.get(name)).toBe(value);
      for (const fragment of c.sql ?? []) expect((seen.last as Statement | null)?.text).toContain(fragment);
      if (c.after) expect((await server.database.query(c.after.query)).rows).toEqual(c.after.rows);
    });
  }
});
