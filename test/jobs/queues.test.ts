import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { eventually } from "./receiver.js";

// Supabase Queues: pgmq's SQL API, and the pgmq_public functions supabase-js calls through
// `.schema('pgmq_public').rpc(...)` once pgmq_public is among [api] schemas.
describe("queues (pgmq)", () => {
  let project: TempProject;
  let server: TestServer;
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);

  beforeAll(async () => {
    project = tempProject({
      configToml: '[api]\nschemas = ["public", "graphql_public", "pgmq_public"]\n',
    });
    server = await startTestServer({ template: "platform", projectDir: project.dir });
    await sql("create extension if not exists pgmq");
    await sql("select pgmq.create('tasks')");
    await sql("notify pgrst, 'reload schema'");
    const service = server.client(server.serviceRoleKey).schema("pgmq_public");
    await eventually(async () =>
      (await service.rpc("pop", { queue_name: "tasks" })).error ? undefined : true,
    );
  });
  afterAll(async () => {
    await server?.close();
    project?.remove();
  });

  it("send, send_batch, read, archive, delete and pop through supabase-js", async () => {
    const queue = server.client(server.serviceRoleKey).schema("pgmq_public");
    const sent = await queue.rpc("send", { queue_name: "tasks", message: { text: "héllo 👋 世界" } });
    expect(sent.error).toBeNull();
    expect(sent.data).toEqual([expect.any(Number)]);
    const batch = await queue.rpc("send_batch", {
      queue_name: "tasks",
      messages: [{ n: 1 }, { n: 2 }, { n: 3 }],
      sleep_seconds: 0,
    });
    expect(batch.data).toHaveLength(3);

    const read = await queue.rpc("read", { queue_name: "tasks", sleep_seconds: 30, n: 2 });
    expect(read.error).toBeNull();
    expect(read.data).toHaveLength(2);
    expect(read.data?.[0]).toMatchObject({ read_ct: 1, message: { text: "héllo 👋 世界" } });
    // Hidden for their visibility timeout: the next read gets the others.
    const next = await queue.rpc("read", { queue_name: "tasks", sleep_seconds: 30, n: 10 });
    expect(next.data?.map((m: { message: { n: number } }) => m.message.n)).toEqual([2, 3]);

    const first = read.data?.[0]?.msg_id;
    expect((await queue.rpc("archive", { queue_name: "tasks", message_id: first })).data).toBe(true);
    expect(
      (await queue.rpc("delete", { queue_name: "tasks", message_id: read.data?.[1]?.msg_id })).data,
    ).toBe(true);
    expect((await queue.rpc("delete", { queue_name: "tasks", message_id: 999_999 })).data).toBe(false);
    const archived = await sql<{ msg_id: string }>("select msg_id from pgmq.a_tasks");
    expect(archived.map((row) => Number(row.msg_id))).toEqual([first]);

    await queue.rpc("send", { queue_name: "tasks", message: { last: true } });
    const popped = await queue.rpc("pop", { queue_name: "tasks" });
    expect(popped.data).toEqual([expect.objectContaining({ message: { last: true } })]);
    expect((await queue.rpc("pop", { queue_name: "tasks" })).data).toEqual([]);
  });

  it("delays messages with sleep_seconds", async () => {
    await sql("select pgmq.create('delayed')");
    const queue = server.client(server.serviceRoleKey).schema("pgmq_public");
    await queue.rpc("send", { queue_name: "delayed", message: { later: 1 }, sleep_seconds: 2 });
    expect((await queue.rpc("read", { queue_name: "delayed", sleep_seconds: 5, n: 1 })).data).toEqual([]);
    const [row] = await sql<{ seconds: number }>(
      "select extract(epoch from vt - enqueued_at)::int as seconds from pgmq.q_delayed",
    );
    expect(row?.seconds).toBe(2);
  });

  it("answers bad queue names and missing grants with client errors, not 5xx", async () => {
    const service = server.client(server.serviceRoleKey).schema("pgmq_public");
    for (const queue_name of ["no_such_queue", "bad;name", "x".repeat(60), "", "😀"]) {
      const { error, status } = await service.rpc("send", { queue_name, message: {} });
      expect(error, queue_name).not.toBeNull();
      expect(status, queue_name).toBeLessThan(500);
    }
    const anon = server.client().schema("pgmq_public");
    const { error, status } = await anon.rpc("send", { queue_name: "tasks", message: {} });
    expect(error?.message).toMatch(/permission denied/);
    expect(status).toBe(401);
  });

  it("two readers never get the same message", async () => {
    await sql("select pgmq.create('shared')");
    await sql(
      "select pgmq.send_batch('shared', array(select jsonb_build_object('i', i) from generate_series(1, 200) i))",
    );
    const reader = async () => {
      const ids: string[] = [];
      for (;;) {
        const rows = await sql<{ msg_id: string }>("select msg_id from pgmq.read('shared', 60, 7)");
        if (rows.length === 0) return ids;
        ids.push(...rows.map((row) => row.msg_id));
      }
    };
    const [a, b] = await Promise.all([reader(), reader()]);
    expect(a.length + b.length).toBe(200);
    expect(new Set([...a, ...b]).size).toBe(200);
  });
});
