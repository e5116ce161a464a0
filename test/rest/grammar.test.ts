import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeStatements, type Statement } from "../../src/services/rest/execute.js";
import type { TestServer } from "../harness/server.js";
import type { Case } from "./cases/case.js";
import { FILTER_CASES } from "./cases/filter-cases.js";
import { RPC_CASES } from "./cases/rpc-cases.js";
import { SELECT_CASES } from "./cases/select-cases.js";
import { SHAPING_CASES } from "./cases/shaping-cases.js";
import { type GrammarServer, rest, startGrammarServer } from "./helpers.js";

const CASES: readonly Case[] = [...SELECT_CASES, ...FILTER_CASES, ...SHAPING_CASES, ...RPC_CASES];

describe("PostgREST grammar, table-driven (platform template)", () => {
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

  it("requests that differ only in filter values share one statement, bound with their own values", async () => {
    const texts: Statement[] = [];
    const stopAll = observeStatements((statement) => {
      texts.push(statement);
    });
    const one = await rest(server, "/films?select=title&id=eq.1", { token: server.serviceRoleKey });
    const two = await rest(server, "/films?select=title&id=eq.2", { token: server.serviceRoleKey });
    stopAll();
    expect(one.json).toEqual([{ title: "Cleo from 5 to 7" }]);
    expect(two.json).toEqual([{ title: "La Jetee" }]);
    expect(two.headers.get("content-location")).toBe("/films?id=eq.2&select=title");
    expect(texts[0]?.text).toBe(texts[1]?.text);
    expect(texts.map((t) => t.values[0])).toEqual(["1", "2"]);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      seen.last = null;
      const token = server.serviceRoleKey;
      const response = await rest(server, c.path, {
        method: c.method,
        headers: c.headers,
        body: c.body,
        token,
      });
      if (response.status !== c.status) throw new Error(`status ${response.status}: ${response.text}`);
      if (c.json !== undefined) expect(response.json).toEqual(c.json);
      c.check?.(response);
      for (const [name, value] of Object.entries(c.responseHeaders ?? {}))
        expect(response.headers.get(name)).toBe(value);
      if (response.status >= 400 && response.status !== 416) {
        expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
        expect(Object.keys(response.json as object).sort()).toEqual(["code", "details", "hint", "message"]);
      }
      for (const fragment of c.sql ?? []) expect((seen.last as Statement | null)?.text).toContain(fragment);
    });
  }
});
