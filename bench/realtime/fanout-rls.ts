/**
 * postgres_changes fan-out under RLS (issue 15 figures): one INSERT per 100 ms into a table
 * protected with groundwork.protect(), 1,000 subscribed sockets held by 200 distinct users of 4
 * tenants (5 sockets each), each change visible to the 250 sockets of its tenant. Reports delivery
 * latency from commit to receipt (p50/p99), deliveries, and the visibility checks per change
 * (claims groups checked, database round trips) from the server's /metrics.
 *
 * Baseline in the same run: the same inserts into a table without RLS, each socket subscribed
 * with a `tenant_id=eq.<its tenant>` filter, so the same 250 sockets receive each change but no
 * visibility check runs: the difference is what checking RLS in the database costs.
 *
 *   npx tsx bench/realtime/fanout-rls.ts [seconds]
 */
import { SignJWT } from "jose";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";
import { type ChildServer, startApiServer } from "./processes.js";
import { type BenchSocket, joinedSocket, openAll, percentile, sleep } from "./sockets.js";

const SECONDS = Number(process.argv[2] ?? 20);
const TENANTS = 4;
const USERS_PER_TENANT = 50;
const SOCKETS_PER_USER = 5;

const tenantId = (t: number) => `00000000-0000-4000-8000-0000000fa00${t}`;
const userId = (t: number, u: number) => `00000000-0000-4000-9000-${String(t * 1000 + u).padStart(12, "0")}`;

async function prepare(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`
      insert into groundwork.tenants (id, name)
        select ('00000000-0000-4000-8000-0000000fa00' || t)::uuid, 'Fan-out ' || t from generate_series(0, ${TENANTS - 1}) t;
      insert into auth.users (id, instance_id, email, role, aud, created_at, updated_at)
        select ('00000000-0000-4000-9000-' || lpad((t * 1000 + u)::text, 12, '0'))::uuid,
               '00000000-0000-0000-0000-000000000000', 'fan' || t || '-' || u || '@bench.local',
               'authenticated', 'authenticated', now(), now()
        from generate_series(0, ${TENANTS - 1}) t, generate_series(0, ${USERS_PER_TENANT - 1}) u;
      insert into groundwork.memberships (user_id, tenant_id, role, is_active)
        select ('00000000-0000-4000-9000-' || lpad((t * 1000 + u)::text, 12, '0'))::uuid,
               ('00000000-0000-4000-8000-0000000fa00' || t)::uuid, 'member', true
        from generate_series(0, ${TENANTS - 1}) t, generate_series(0, ${USERS_PER_TENANT - 1}) u;
      create table public.feed_items (
        id bigint generated always as identity primary key,
        tenant_id uuid not null references groundwork.tenants (id),
        body text not null,
        created_at timestamptz not null default now());
      select groundwork.protect('public.feed_items', rights => '{"member": "tenant"}');
      create table public.open_items (
        id bigint generated always as identity primary key,
        tenant_id uuid not null,
        body text not null,
        created_at timestamptz not null default now());
      alter publication supabase_realtime add table public.feed_items, public.open_items;
      analyze;`);
  } finally {
    await client.end();
  }
}

interface Figures {
  readonly changes: number;
  readonly deliveries: number;
  readonly expected: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly groupsPerChange: number;
  readonly queriesPerChange: number;
  readonly checkMsPerChange: number;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? 0);
}

async function run(
  server: ChildServer,
  adminUrl: string,
  secret: string,
  anonKey: string,
  table: "feed_items" | "open_items",
): Promise<Figures> {
  const latencies: number[] = [];
  const onFrame = (text: string, receivedAt: number) => {
    if (!text.includes('"postgres_changes"')) return;
    const at = text.indexOf('"commit_timestamp":"');
    if (at < 0) return;
    const committed = Date.parse(text.slice(at + 20, at + 44));
    latencies.push(receivedAt - committed);
  };
  const wsUrl = `${server.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${anonKey}&vsn=2.0.0`;
  const tokens = new Map<string, string>();
  const sockets: BenchSocket[] = await openAll(TENANTS * USERS_PER_TENANT * SOCKETS_PER_USER, async (i) => {
    const user = Math.floor(i / SOCKETS_PER_USER);
    const t = Math.floor(user / USERS_PER_TENANT);
    const sub = userId(t, user % USERS_PER_TENANT);
    let token = tokens.get(sub);
    if (!token) {
      token = await new SignJWT({
        sub,
        role: "authenticated",
        aud: "authenticated",
        app_metadata: { tenant_id: tenantId(t) },
      })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(new TextEncoder().encode(secret));
      tokens.set(sub, token);
    }
    const binding: Record<string, string> = { event: "INSERT", schema: "public", table };
    if (table === "open_items") binding.filter = `tenant_id=eq.${tenantId(t)}`;
    return joinedSocket(
      wsUrl,
      `realtime:fan-${i}`,
      { config: { postgres_changes: [binding] }, access_token: token },
      onFrame,
    );
  });
  await sleep(1_000);
  const before = {
    groups: await metric(server.url, "groundwork_realtime_rls_checks_total"),
    queries: await metric(server.url, "groundwork_realtime_rls_queries_total"),
    seconds: await metric(server.url, "groundwork_realtime_rls_check_duration_seconds_sum"),
  };
  const writer = new pg.Client({ connectionString: adminUrl });
  await writer.connect();
  let changes = 0;
  const started = Date.now();
  while (Date.now() - started < SECONDS * 1000) {
    const due = Math.floor((Date.now() - started) / 100);
    while (changes < due) {
      await writer.query(`insert into public.${table} (tenant_id, body) values ($1, $2)`, [
        tenantId(changes % TENANTS),
        `change ${changes} — ünïcode ✓`,
      ]);
      changes += 1;
    }
    await sleep(5);
  }
  await sleep(2_000);
  await writer.end();
  const after = {
    groups: await metric(server.url, "groundwork_realtime_rls_checks_total"),
    queries: await metric(server.url, "groundwork_realtime_rls_queries_total"),
    seconds: await metric(server.url, "groundwork_realtime_rls_check_duration_seconds_sum"),
  };
  for (const socket of sockets) socket.close();
  latencies.sort((a, b) => a - b);
  return {
    changes,
    deliveries: latencies.length,
    expected: (changes * sockets.length) / TENANTS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    groupsPerChange: (after.groups - before.groups) / changes,
    queriesPerChange: (after.queries - before.queries) / changes,
    checkMsPerChange: ((after.seconds - before.seconds) * 1000) / changes,
  };
}

const example = await startExampleDatabase();
const config = await loadConfig(EXAMPLE, {});
let api: ChildServer | null = null;
try {
  await prepare(example.adminUrl);
  api = await startApiServer(
    example.adminUrl,
    withCredentials(example.adminUrl, "authenticator", "postgres"),
  );
  const protectedRun = await run(api, example.adminUrl, config.jwt.secret, config.jwt.anonKey, "feed_items");
  const filteredRun = await run(api, example.adminUrl, config.jwt.secret, config.jwt.anonKey, "open_items");
  const row = (name: string, f: Figures) =>
    `${name.padEnd(30)} ${String(f.changes).padStart(7)} ${`${f.deliveries}/${f.expected}`.padStart(13)} ${String(f.p50).padStart(6)} ${String(f.p99).padStart(6)} ${String(f.max).padStart(6)} ${f.groupsPerChange.toFixed(1).padStart(7)} ${f.queriesPerChange.toFixed(1).padStart(7)} ${f.checkMsPerChange.toFixed(1).padStart(8)}`;
  console.log(
    `\nFan-out: ${TENANTS * USERS_PER_TENANT * SOCKETS_PER_USER} sockets, ${TENANTS * USERS_PER_TENANT} users in ${TENANTS} tenants, one INSERT per 100 ms for ${SECONDS} s (latency: commit to receipt, ms)`,
  );
  console.log(
    `${"table".padEnd(30)} ${"changes".padStart(7)} ${"delivered".padStart(13)} ${"p50".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)} ${"groups".padStart(7)} ${"queries".padStart(7)} ${"check ms".padStart(8)}`,
  );
  console.log(row("protected (RLS, per-user check)", protectedRun));
  console.log(row("no RLS, tenant filter (baseline)", filteredRun));
  console.log(`p99 ratio RLS/baseline: ${(protectedRun.p99 / Math.max(1, filteredRun.p99)).toFixed(2)}x`);
} finally {
  await api?.stop();
  await example.stop();
}
