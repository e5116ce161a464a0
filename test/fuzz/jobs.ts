import { NASTY_STRINGS } from "./mutate.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

/**
 * The jobs SQL APIs (pg_net, pg_cron, pgmq) behind RPC wrappers in public, as an app's own
 * functions would call them: hostile URLs, schedules, queue names and payloads must be refused in
 * the data API's own shape (400/404), never a 5xx. The wrappers never send or run anything: a
 * request queued by net.http_post is rolled back in a subtransaction (no traffic leaves the
 * machine), and a job is unscheduled in the call that made it (its command is fixed).
 */
const SETUP = `
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pgmq;
select pgmq.create('fuzz_q');
create function public.jobs_http_post(url text, body jsonb default '{}', params jsonb default '{}',
  headers jsonb default '{}', timeout_ms integer default 1000) returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  request_id bigint;
begin
  begin
    request_id := net.http_post(url, body, params, headers, timeout_ms);
    raise exception using errcode = 'GWF01', message = 'undo';
  exception when sqlstate 'GWF01' then null;
  end;
  return request_id;
end $$;
create function public.jobs_cron_schedule(schedule text, job_name text default null) returns boolean
language plpgsql security definer set search_path = '' as $$
begin
  return cron.unschedule(cron.schedule_in_database(job_name, schedule, 'select 1', current_database()));
end $$;
create function public.jobs_queue_send(queue_name text, message jsonb, delay integer default 0) returns setof bigint
language sql security definer set search_path = '' as $$ select * from pgmq.send(queue_name, message, delay) $$;
create function public.jobs_queue_read(queue_name text, vt integer, qty integer) returns setof pgmq.message_record
language sql security definer set search_path = '' as $$ select * from pgmq.read(queue_name, vt, qty) $$;
grant execute on function public.jobs_http_post, public.jobs_cron_schedule, public.jobs_queue_send,
  public.jobs_queue_read to anon, authenticated, service_role;
notify pgrst, 'reload schema';
`;

function rpc(name: string, args: Record<string, unknown>, context: FuzzContext): FuzzRequest {
  const key = context.server.serviceRoleKey;
  return {
    method: "POST",
    path: `/rest/v1/rpc/${name}`,
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  };
}

const ROUTES: readonly FuzzRoute[] = [
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) =>
      rpc("jobs_http_post", { url: "http://127.0.0.1:9/hook", body: { record: { name: "Zoë 👋 東京" } } }, c),
  },
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) => rpc("jobs_cron_schedule", { schedule: "*/5 * * * *" }, c),
  },
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) => rpc("jobs_queue_send", { queue_name: "fuzz_q", message: { text: "héllo" } }, c),
  },
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) => rpc("jobs_queue_read", { queue_name: "fuzz_q", vt: 1, qty: 1 }, c),
  },
];

const URLS = [
  "not a url",
  "ftp://127.0.0.1/x",
  "javascript:alert(1)",
  "http://",
  "http:// 127.0.0.1/",
  "http://127.0.0.1:99999999/x",
  "HTTP://127.0.0.1/É/😀",
  `http://127.0.0.1/${"a".repeat(9000)}`,
  "http://user:pass@127.0.0.1/x?y=1#z",
  "",
];
const SCHEDULES = [
  "61 * * * *",
  "* * * *",
  "60 seconds",
  "0 seconds",
  "-1 seconds",
  "*/0 * * * *",
  "1-0 * * * *",
  "@reboot",
  "@every 1m",
  "0 0 32 * *",
  "0 0 * 13 *",
  "0 0 * * 8",
  "* * * * * *",
  "$ $ $ $ $",
  "x".repeat(5000),
  "",
];
const QUEUES = ["fuzz_q", "nope", "fuzz-q", "a".repeat(48), "", "q;drop table x", "Ünï"];

/** One argument of one wrapper replaced by a hostile value of its kind or of any kind. */
const jobsArguments: Mutation = (request, random) => {
  if (!request.body) return request;
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(request.body) as Record<string, unknown>;
  } catch {
    return request;
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) return request;
  const anything = (): unknown =>
    random.pick<unknown>([
      random.pick(NASTY_STRINGS),
      null,
      -1,
      2_147_483_648,
      1e308,
      [],
      {},
      [1, "a"],
      true,
      "x".repeat(2_000_000),
    ]);
  const choices: Record<string, () => unknown> = {
    url: () => random.pick(URLS),
    schedule: () => random.pick(SCHEDULES),
    job_name: () => random.pick(["é", "", "x".repeat(10_000), null]),
    queue_name: () => random.pick(QUEUES),
    body: () => random.pick<unknown>([{ big: "x".repeat(3_000_000) }, [], "text", null, { "\u0000": 1 }]),
    headers: () => random.pick<unknown>([[], "h", { "Bad Header": "x" }, { "x-a": "\r\nInjected: 1" }, null]),
    params: () => random.pick<unknown>([[], "p", { "é ": "😀&=" }, null]),
    timeout_ms: () => random.pick([0, -5, 900_001, 2_147_483_647, null]),
    message: () => random.pick<unknown>([null, "s", [1], { deep: { deeper: "é" } }]),
    delay: () => random.pick([-1, 2_147_483_647, null]),
    vt: () => random.pick([-1, 2_147_483_647, null]),
    qty: () => random.pick([-1, 0, 2_147_483_647, null]),
  };
  const name = random.chance(0.8)
    ? random.pick(Object.keys(choices).filter((key) => key in args || random.chance(0.1)))
    : random.pick(Object.keys(args));
  const value = random.chance(0.85) ? (choices[name]?.() ?? anything()) : anything();
  return { ...request, body: JSON.stringify({ ...args, [name]: value }) };
};

/** The data API's error body (PostgREST's): code, details, hint and message. */
function postgrestShape(_status: number, body: string): string | null {
  if (body === "") return null;
  try {
    const keys = Object.keys(JSON.parse(body) as object)
      .sort()
      .join(",");
    return keys === "code,details,hint,message" ? null : `keys ${keys}`;
  } catch {
    return "not JSON";
  }
}

/** pg_net, pg_cron and pgmq through the data API. */
export const jobsFuzz: FuzzService = {
  name: "jobs",
  prefix: "/rest/v1/rpc/jobs_",
  routes: ROUTES,
  mutations: [jobsArguments],
  async setup(server) {
    await server.database.query(SETUP);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = await fetch(`${server.url}/rest/v1/rpc/jobs_queue_read`, {
        method: "POST",
        headers: {
          apikey: server.serviceRoleKey,
          authorization: `Bearer ${server.serviceRoleKey}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ queue_name: "fuzz_q", vt: 0, qty: 0 }),
      });
      if (probe.status === 200 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {};
  },
  errorShape: postgrestShape,
  async healthy({ server }) {
    const { rows } = await server.database.query<{ n: number }>(
      "select (select count(*)::int from cron.job) + (select count(*)::int from net.http_request_queue) as n",
    );
    if (rows[0]?.n !== 0) throw new Error(`the wrappers left ${rows[0]?.n} job(s) or request(s) behind`);
    const response = await fetch(`${server.url}/rest/v1/rpc/jobs_queue_send`, {
      method: "POST",
      headers: {
        apikey: server.serviceRoleKey,
        authorization: `Bearer ${server.serviceRoleKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ queue_name: "fuzz_q", message: { still: "ok ✓" } }),
    });
    if (response.status !== 200) throw new Error(`jobs_queue_send answers ${response.status}`);
  },
};
