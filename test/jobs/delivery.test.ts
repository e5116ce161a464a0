import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

type ResponseRow = {
  id: string;
  status_code: number | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
};

// pg_net's SQL API delivered by the API process to a real HTTP server on loopback.
describe("net.http_* delivery", () => {
  let server: TestServer;
  let receiver: Receiver;
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);
  const responseOf = (id: string) =>
    eventually(
      async () => (await sql<ResponseRow>("select * from net._http_response where id = $1", [id]))[0],
      10_000,
      `response ${id}`,
    );

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    await sql("delete from groundwork.http_policies");
  });

  it("http_post returns a request id, sends the JSON body and records the response", async () => {
    receiver.answer("/hook", { status: 201, body: "créé ✓" });
    const [row] = await sql<{ id: string }>(
      `select net.http_post($1, '{"name": "Zoë 😀 東京"}'::jsonb, '{"q": "a b"}'::jsonb) as id`,
      [`${receiver.url}/hook`],
    );
    const id = row?.id ?? "";
    expect(id).toMatch(/^\d+$/);
    const [request] = await receiver.waitFor(1, "/hook");
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/hook?q=a%20b");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ name: "Zoë 😀 東京" });
    const response = await responseOf(id);
    expect(response).toMatchObject({
      status_code: 201,
      content: "créé ✓",
      timed_out: false,
      error_msg: null,
    });
    expect((await sql("select * from net.http_request_queue where id = $1", [id])).length).toBe(0);
  });

  it("http_get and http_delete send their method, params and headers", async () => {
    const [row] = await sql<{ g: string; d: string }>(
      `select net.http_get($1, '{"x": "1"}', '{"X-Custom": "ü"}') as g,
              net.http_delete($2, '{}', '{"Authorization": "Bearer t"}') as d`,
      [`${receiver.url}/get`, `${receiver.url}/delete`],
    );
    const [get] = await receiver.waitFor(1, "/get");
    const [del] = await receiver.waitFor(1, "/delete");
    expect(get?.method).toBe("GET");
    expect(get?.path).toBe("/get?x=1");
    expect(get?.headers["x-custom"]).toBe("ü");
    expect(del?.method).toBe("DELETE");
    expect(del?.headers.authorization).toBe("Bearer t");
    expect((await responseOf(row?.g ?? "")).status_code).toBe(200);
    expect((await responseOf(row?.d ?? "")).status_code).toBe(200);
  });

  it("reaches host.docker.internal, as migrations written for the Supabase CLI's stack name this machine", async () => {
    const port = new URL(receiver.url).port;
    const [row] = await sql<{ id: string }>(
      `select net.http_post($1, '{"città": "Zürich 🏔"}'::jsonb) as id`,
      [`http://host.docker.internal:${port}/docker-host`],
    );
    const [request] = await receiver.waitFor(1, "/docker-host");
    expect(JSON.parse(request?.body ?? "")).toEqual({ città: "Zürich 🏔" });
    expect((await responseOf(row?.id ?? "")).status_code).toBe(200);
  });

  it("sends nothing for a transaction that rolls back", async () => {
    const client = await server.db.admin.connect();
    try {
      await client.query("begin");
      await client.query("select net.http_post($1, '{}'::jsonb)", [`${receiver.url}/rolled-back`]);
      await client.query("rollback");
    } finally {
      client.release();
    }
    await sql("select net.http_post($1, '{}'::jsonb)", [`${receiver.url}/committed`]);
    await receiver.waitFor(1, "/committed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.path === "/rolled-back")).toEqual([]);
  });

  it("records a refused connection and a timeout as pg_net does, without retrying", async () => {
    receiver.answer("/slow", "hang");
    const [row] = await sql<{ refused: string; slow: string }>(
      `select net.http_get('http://127.0.0.1:1/nothing-here') as refused,
              net.http_get($1, timeout_milliseconds => 300) as slow`,
      [`${receiver.url}/slow`],
    );
    const refused = await responseOf(row?.refused ?? "");
    expect(refused.status_code).toBeNull();
    expect(refused.error_msg).toMatch(/Couldn't complete the request: ECONNREFUSED/);
    const slow = await responseOf(row?.slow ?? "");
    expect(slow).toMatchObject({
      status_code: null,
      timed_out: true,
      error_msg: "Timeout of 300 ms reached",
    });
    expect(receiver.received.filter((r) => r.path === "/slow")).toHaveLength(1);
    expect((await sql("select * from groundwork.http_dead_letters")).length).toBe(0);
  });

  it("a destination that hangs does not hold up others", async () => {
    const stuck = await startReceiver();
    try {
      stuck.answer("/stuck", "hang");
      // More hanging requests than one destination may hold slots for.
      await sql(`select net.http_get($1, timeout_milliseconds => 8000) from generate_series(1, 40)`, [
        `${stuck.url}/stuck`,
      ]);
      await stuck.waitFor(10, "/stuck", 5000);
      const started = Date.now();
      await sql("select net.http_post($1, '{}'::jsonb)", [`${receiver.url}/fine`]);
      await receiver.waitFor(1, "/fine", 3000);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await stuck.close();
    }
  });

  it("refuses bad URLs, headers, timeouts and oversize bodies with clear errors, queueing nothing", async () => {
    const cases: [string, unknown[], RegExp][] = [
      ["select net.http_get('not a url')", [], /invalid url/],
      ["select net.http_get('ftp://example.com/x')", [], /invalid url/],
      ["select net.http_get('javascript:alert(1)')", [], /invalid url/],
      ["select net.http_get(null)", [], /url must not be null/],
      ["select net.http_post('http://127.0.0.1/x', null::jsonb)", [], /body must not be null/],
      ["select net.http_get('http://127.0.0.1/x', headers => '[1]')", [], /headers must be a JSON object/],
      ["select net.http_get('http://127.0.0.1/x', params => '\"a\"')", [], /params must be a JSON object/],
      ["select net.http_get('http://127.0.0.1/x', timeout_milliseconds => 0)", [], /timeout_milliseconds/],
      ["select net.http_get($1)", [`http://x/${"a".repeat(9000)}`], /url is too long/],
      [
        "select net.http_post('http://127.0.0.1/x', jsonb_build_object('a', repeat('x', 11 * 1024 * 1024)))",
        [],
        /request body is too large/,
      ],
    ];
    for (const [text, params, message] of cases) {
      const outcome = await server.database.query(text, params).then(
        (result) => ({ ok: true, rows: result.rows }),
        (error: Error) => ({ ok: false, message: error.message }),
      );
      expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(message) });
    }
    const queued = await sql(
      "select id from net.http_request_queue where url like 'http://127.0.0.1/x%' or url like 'http://x/%' or url !~ '^https?://'",
    );
    expect(queued).toEqual([]);
  });
});
