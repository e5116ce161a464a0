import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { eventually } from "./receiver.js";

/** A Deno function that answers a database webhook with what it understood of the payload. */
const NOTIFY_FUNCTION = `Deno.serve(async (req) => {
  const payload = await req.json();
  const body = { type: payload.type, table: payload.table, title: payload.record?.title, auth: req.headers.get("authorization") !== null };
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
});
`;

// A Studio-style database webhook on a table calling an edge function of the same project
// through /functions/v1, with the service role key as Studio's "Add auth header" puts it.
describe("a database webhook reaching an edge function", () => {
  let project: TempProject;
  let server: TestServer;
  const sql = <R extends Record<string, unknown>>(text: string, params?: unknown[]) =>
    server.database.query<R>(text, params).then((result) => result.rows);

  beforeAll(async () => {
    project = tempProject({ copyExample: true });
    project.write("supabase/functions/notify/index.ts", NOTIFY_FUNCTION);
    server = await startTestServer({ projectDir: project.dir, template: "platform" });
    await sql("create table public.agent_runs (id serial primary key, title text)");
    const headers = JSON.stringify({
      "Content-Type": "application/json",
      Authorization: `Bearer ${server.serviceRoleKey}`,
    });
    await sql(`create trigger "agent_runs_notify" after insert on public.agent_runs for each row
      execute function supabase_functions.http_request('${server.url}/functions/v1/notify', 'POST', '${headers}', '{}', '20000')`);
  });
  afterAll(async () => {
    await server?.close();
    project?.remove();
  });

  it("posts the inserted row to the function, whose answer lands in net._http_response", async () => {
    await sql("insert into public.agent_runs (title) values ('Tutör 🤖 学习')");
    const response = await eventually(
      async () =>
        (
          await sql<{ status_code: number; content: string }>(
            `select r.status_code, r.content from net._http_response r
               join supabase_functions.hooks h on h.request_id = r.id where h.hook_name = 'agent_runs_notify'`,
          )
        )[0],
      40_000,
      "the function's response",
    );
    expect(response.status_code).toBe(200);
    expect(JSON.parse(response.content)).toEqual({
      type: "INSERT",
      table: "agent_runs",
      title: "Tutör 🤖 学习",
      auth: true,
    });
  }, 60_000);
});
