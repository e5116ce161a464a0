import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

// Database webhooks as Supabase Studio writes them, and Groundwork's delivery policies on top.
describe("database webhooks", () => {
  let server: TestServer;
  let receiver: Receiver;
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);
  const policy = (path: string, settings: Record<string, unknown>) => {
    const names = Object.keys(settings);
    return sql(
      `insert into groundwork.http_policies (url_prefix, ${names.join(", ")})
       values ($1, ${names.map((_, i) => `$${i + 2}`).join(", ")})`,
      [`${receiver.url}${path}`, ...Object.values(settings)],
    );
  };
  const webhook = (table: string, path: string) =>
    sql(`create trigger "${table}_hook" after insert or update or delete on public.${table} for each row
         execute function supabase_functions.http_request('${receiver.url}${path}', 'POST',
           '{"Content-Type":"application/json","X-Secret":"s3cret"}', '{}', '5000')`);

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    receiver = await startReceiver();
    for (const table of ["events", "retried", "dead", "limited", "batched", "bad_request"]) {
      await sql(`create table public.${table} (id serial primary key, user_id text, title text)`);
      await sql(`grant all on public.${table} to service_role`);
      await sql(`grant usage on sequence public.${table}_id_seq to service_role`);
    }
    await sql("notify pgrst, 'reload schema'");
    await eventually(async () => {
      const { error } = await server.client(server.serviceRoleKey).from("events").select("id").limit(1);
      return error ? undefined : true;
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
  });

  it("a Studio-style trigger posts the change to the URL, logged in supabase_functions.hooks", async () => {
    await webhook("events", "/events");
    const client = server.client(server.serviceRoleKey);
    const { error } = await client.from("events").insert({ user_id: "u1", title: "Ünïcode 🎉 漢字" });
    expect(error).toBeNull();
    const [request] = await receiver.waitFor(1, "/events");
    expect(request?.headers["x-secret"]).toBe("s3cret");
    expect(JSON.parse(request?.body ?? "")).toEqual({
      type: "INSERT",
      table: "events",
      schema: "public",
      record: { id: 1, user_id: "u1", title: "Ünïcode 🎉 漢字" },
      old_record: null,
    });
    await sql("update public.events set title = 'x'");
    const [, update] = await receiver.waitFor(2, "/events");
    expect(JSON.parse(update?.body ?? "")).toMatchObject({
      type: "UPDATE",
      old_record: { title: "Ünïcode 🎉 漢字" },
    });
    const hooks = await sql<{ hook_name: string; request_id: string }>(
      "select hook_name, request_id from supabase_functions.hooks order by id",
    );
    expect(hooks.map((hook) => hook.hook_name)).toEqual(["events_hook", "events_hook"]);
    expect(hooks[0]?.request_id).toMatch(/^\d+$/);
  });

  it("retries with backoff under a policy, with one idempotency key throughout", async () => {
    await webhook("retried", "/retried");
    await policy("/retried", { max_attempts: 4, backoff_base_ms: 100 });
    receiver.answer("/retried", { status: 503 }, { status: 502 }, { status: 200, body: "done" });
    await sql("insert into public.retried (title) values ('again')");
    const attempts = await receiver.waitFor(3, "/retried");
    const keys = new Set(attempts.map((attempt) => attempt.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    // Each wait at least half the exponential step: 50 ms, then 100 ms.
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(45);
    expect((attempts[2]?.at ?? 0) - (attempts[1]?.at ?? 0)).toBeGreaterThanOrEqual(95);
    const [response] = await eventually(async () => {
      const rows = await sql<{ status_code: number }>(
        "select status_code from net._http_response r join supabase_functions.hooks h on h.request_id = r.id where h.hook_name = 'retried_hook'",
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(response?.status_code).toBe(200);
  });

  it("keeps what fails every attempt as a dead letter, listed and replayed by the CLI and SQL", async () => {
    await webhook("dead", "/dead");
    await webhook("bad_request", "/bad-request");
    await policy("/dead", { max_attempts: 2, backoff_base_ms: 20 });
    await policy("/bad-request", { max_attempts: 5, backoff_base_ms: 20 });
    receiver.answer("/dead", { status: 500, body: "down" });
    receiver.answer("/bad-request", { status: 422, body: "no" });
    await sql("insert into public.dead (title) values ('é1'), ('é2')");
    await sql("insert into public.bad_request (title) values ('x')");
    const letters = await eventually(async () => {
      const rows = await sql<{ id: string; url: string; attempts: number; last_status: number }>(
        "select id, url, attempts, last_status from groundwork.http_dead_letters order by id",
      );
      return rows.length === 3 ? rows : undefined;
    });
    // A 422 is not retried; a 500 is, up to max_attempts.
    expect(letters.map((row) => [new URL(row.url).pathname, row.attempts, row.last_status]).sort()).toEqual([
      ["/bad-request", 1, 422],
      ["/dead", 2, 500],
      ["/dead", 2, 500],
    ]);
    const listed = await runCli([
      "jobs",
      "dead-letters",
      "--json",
      "--db-url",
      server.database.adminUrl,
      "--workdir",
      EXAMPLE_PROJECT,
    ]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(3);
    const status = await runCli([
      "jobs",
      "status",
      "--json",
      "--db-url",
      server.database.adminUrl,
      "--workdir",
      EXAMPLE_PROJECT,
    ]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ deadLetters: 3, cron: null, queues: null });

    receiver.answer("/dead", { status: 200 });
    receiver.received.length = 0;
    const deadIds = letters.filter((row) => row.url.endsWith("/dead")).map((row) => row.id);
    const replay = await runCli([
      "jobs",
      "replay",
      ...deadIds,
      "--db-url",
      server.database.adminUrl,
      "--workdir",
      EXAMPLE_PROJECT,
    ]);
    expect(replay).toMatchObject({ code: 0, stdout: "Queued 2 dead letter(s) again.\n" });
    const replayed = await receiver.waitFor(2, "/dead");
    expect(replayed.map((r) => JSON.parse(r.body).record.title).sort()).toEqual(["é1", "é2"]);
    receiver.answer("/bad-request", { status: 200 });
    expect((await sql<{ n: number }>("select groundwork.replay_http_dead_letters() as n"))[0]?.n).toBe(1);
    await receiver.waitFor(1, "/bad-request");
    await eventually(async () =>
      (await sql("select 1 from net.http_request_queue")).length === 0 ? true : undefined,
    );
    expect(await sql("select * from groundwork.http_dead_letters")).toEqual([]);
    const bad = await runCli([
      "jobs",
      "replay",
      "--db-url",
      server.database.adminUrl,
      "--workdir",
      EXAMPLE_PROJECT,
    ]);
    expect(bad.code).toBe(2);
  });

  it("a receiver that is down gets everything once it is back, within the retry policy", async () => {
    const down = await startReceiver();
    const url = down.url;
    await down.close();
    await sql(
      "insert into groundwork.http_policies (url_prefix, max_attempts, backoff_base_ms, backoff_max_ms) values ($1, 20, 100, 400)",
      [url],
    );
    await sql("select net.http_post($1, jsonb_build_object('n', i)) from generate_series(1, 30) as i", [
      `${url}/back`,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [waiting] = await sql<{ n: number; tried: number }>(
      "select count(*)::int as n, min(attempts)::int as tried from net.http_request_queue where url = $1",
      [`${url}/back`],
    );
    expect(waiting?.n).toBe(30);
    expect(waiting?.tried).toBeGreaterThan(1);
    const back = await startReceiver(Number(new URL(url).port));
    try {
      const received = await back.waitFor(30, "/back", 10_000);
      expect(new Set(received.map((r) => JSON.parse(r.body).n)).size).toBe(30);
      expect(await sql("select 1 from groundwork.http_dead_letters where url like $1", [`${url}%`])).toEqual(
        [],
      );
    } finally {
      await back.close();
    }
  });

  it("rate-limits per destination and per user with token buckets", async () => {
    await webhook("limited", "/limited");
    await policy("/limited", {
      user_key: ["record", "user_id"],
      user_rate_per_minute: 2,
      rate_per_minute: 4,
    });
    await sql(
      "insert into public.limited (user_id, title) values ('ana', '1'), ('ana', '2'), ('ana', '3'), ('ana', '4'), ('bo', '1'), ('cy', '1'), ('dee', '1')",
    );
    await receiver.waitFor(4, "/limited");
    await new Promise((resolve) => setTimeout(resolve, 600));
    const sent = receiver.received.filter((r) => r.path === "/limited").map((r) => JSON.parse(r.body).record);
    expect(sent).toHaveLength(4);
    expect(sent.filter((record) => record.user_id === "ana").length).toBeLessThanOrEqual(2);
    const waiting = await sql<{ n: number }>(
      "select count(*)::int as n from net.http_request_queue where url like '%/limited' and run_at > now()",
    );
    expect(waiting[0]?.n).toBe(3);
    const buckets = await sql<{ key: string }>("select key from groundwork.http_rate_buckets order by key");
    expect(buckets.map((bucket) => bucket.key.split("|").at(-2))).toContain("ana");
  });

  it("batches per user under per-user limits: a user past their limit holds back only their own", async () => {
    await policy("/per-user", { batch_size: 10, user_key: ["record", "user_id"], user_rate_per_minute: 1 });
    const url = `${receiver.url}/per-user`;
    const post = (user: string, n: number) =>
      `net.http_post('${url}', jsonb_build_object('record', jsonb_build_object('user_id', '${user}', 'n', ${n})))`;
    // Zoë spends her one call a minute.
    await sql(`select ${post("zoë 🎒", 0)}`);
    await receiver.waitFor(1, "/per-user");
    // Then two for her and two for Ōta come due together.
    await sql(`select ${post("zoë 🎒", 1)}, ${post("zoë 🎒", 2)}, ${post("ōta", 1)}, ${post("ōta", 2)}`);
    await receiver.waitFor(2, "/per-user");
    await new Promise((resolve) => setTimeout(resolve, 600));
    const calls = receiver.received.filter((r) => r.path === "/per-user").map((r) => JSON.parse(r.body));
    expect(calls).toHaveLength(2);
    const batch = calls[1] as { record: { user_id: string; n: number } }[];
    expect(batch.map((item) => [item.record.user_id, item.record.n]).sort()).toEqual([
      ["ōta", 1],
      ["ōta", 2],
    ]);
    const waiting = await sql<{ n: number }>(
      "select count(*)::int as n from net.http_request_queue where url = $1 and run_at > now()",
      [url],
    );
    expect(waiting[0]?.n).toBe(2);
  });

  it("batches due POSTs to one URL into JSON arrays of at most batch_size", async () => {
    await sql("drop trigger if exists batched_hook on public.batched");
    await policy("/batched", { batch_size: 10 });
    // Queued in one transaction, so they come due together.
    await sql("select net.http_post($1, jsonb_build_object('n', i)) from generate_series(1, 25) as i", [
      `${receiver.url}/batched`,
    ]);
    await eventually(async () => {
      const items = receiver.received.filter((r) => r.path === "/batched").flatMap((r) => JSON.parse(r.body));
      return items.length === 25 ? true : undefined;
    });
    const batches = receiver.received
      .filter((r) => r.path === "/batched")
      .map((r) => JSON.parse(r.body) as unknown[]);
    expect(batches.every((batch) => Array.isArray(batch) && batch.length <= 10)).toBe(true);
    expect(batches.length).toBeLessThan(25);
    const ns = batches.flat().map((item) => (item as { n: number }).n);
    expect(ns.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });
});
