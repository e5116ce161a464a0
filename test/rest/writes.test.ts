import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeStatements, type Statement } from "../../src/services/rest/execute.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { CHANGE_CASES, INSERT_CASES, type WriteCase } from "./cases/write-cases.js";
import { GRAMMAR_FIXTURE } from "./fixtures.js";
import { type RestResponse, rest } from "./helpers.js";

const CASES: readonly WriteCase[] = [...INSERT_CASES, ...CHANGE_CASES];

describe("writes, table-driven (platform template)", () => {
  let server: TestServer;
  const seen: { last: Statement | null } = { last: null };
  let stop: () => void;

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    await server.database.query(GRAMMAR_FIXTURE);
    await server.database.query("notify pgrst, 'reload schema'");
    await new Promise((resolve) => setTimeout(resolve, 400));
    stop = observeStatements((statement) => {
      seen.last = statement;
    });
  });
  afterAll(async () => {
    stop();
    await server.close();
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
