import os from "node:os";
import { SignJWT } from "jose";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { freePort } from "../../test/harness/free-port.js";
import { autocannon, type Figures } from "../rest/load.js";
import { EXAMPLE, startExampleDatabase } from "./example-database.js";

const SECONDS = Number(process.argv[2] ?? 10);
/** Each configuration runs this many times, interleaved; the best run counts (least disturbed). */
const ROUNDS = Number(process.argv[3] ?? 2);
const CONNECTIONS = 32;
const POOL_SIZE = 10;
const ACME = "00000000-0000-4000-8000-00000000a001";

const example = await startExampleDatabase();
try {
  const { adminUrl } = example;
  const setup = new pg.Client({ connectionString: adminUrl });
  await setup.connect();
  // 7,000 contacts per sales person (21,000 in Acme, 7,000 in Globex), interleaved as they would
  // arrive over time, so a page of a caller's rows is spread over the whole table.
  await setup.query(`
    insert into public.contacts (tenant_id, first_name, last_name, email, status, sales_id)
    select s.tenant_id, 'First' || g, 'Last' || g, 'c' || g || '@example.com',
           (array['cold', 'warm', 'hot', 'in-contract'])[1 + g % 4], s.id
    from generate_series(1, 7000) g cross join public.sales s
    order by g, s.id;
    analyze;`);
  const users = await setup.query<{ email: string; id: string; role: string }>(
    `select u.email, u.id, m.role from auth.users u join groundwork.memberships m on m.user_id = u.id
     where u.email in ('admin@test.local', 'manager@test.local')`,
  );
  // A contact every caller may read: one of the account manager's.
  const target = await setup.query<{ id: string }>(
    `select c.id from public.contacts c join public.sales s on s.id = c.sales_id
     where s.email = 'manager@test.local' order by c.id desc limit 1`,
  );
  const counts = await setup.query<{ n: number }>("select count(*)::int as n from public.contacts");

  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(EXAMPLE, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: POOL_SIZE });
  const app = await buildServer({ config, db, logLevel: "silent" });
  const url = await listen(app, config);
  const tokens = new Map<string, string>();
  for (const user of users.rows) {
    // The claims the example's access token hook adds: the active tenant and the role in it.
    const token = await new SignJWT({
      sub: user.id,
      role: "authenticated",
      aud: "authenticated",
      email: user.email,
      app_metadata: { provider: "email", providers: ["email"], tenant_id: ACME, tenant_role: user.role },
    })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("2h")
      .sign(new TextEncoder().encode(config.jwt.secret));
    tokens.set(user.role, token);
  }

  const scenarios = [
    { name: "(a) GET one row by PK", path: `/rest/v1/contacts?id=eq.${target.rows[0]?.id}`, rows: 1 },
    {
      name: "(b) 100-row list",
      path: "/rest/v1/contacts?select=id,first_name,last_name,status&order=id&limit=100",
      rows: 100,
    },
  ];
  const callers = [
    { label: "RLS off", role: "admin", rls: false },
    { label: "RLS on, admin (tenant scope)", role: "admin", rls: true },
    { label: "RLS on, account_manager (own scope)", role: "account_manager", rls: true },
  ];
  const results: { scenario: string; caller: string; figures: Figures }[] = [];
  const runs: { scenario: string; caller: string; figures: Figures }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      for (const caller of callers) {
        await setup.query(
          `alter table public.contacts ${caller.rls ? "enable" : "disable"} row level security`,
        );
        const headers = { apikey: config.jwt.anonKey, authorization: `Bearer ${tokens.get(caller.role)}` };
        const probe = await fetch(`${url}${scenario.path}`, { headers });
        const body = (await probe.json()) as unknown[];
        if (probe.status !== 200 || body.length !== scenario.rows) {
          throw new Error(`${scenario.name} as ${caller.label}: ${probe.status}, ${body.length} rows`);
        }
        const figures = await autocannon(url + scenario.path, "GET", headers, undefined, {
          connections: CONNECTIONS,
          seconds: SECONDS,
        });
        runs.push({ scenario: scenario.name, caller: caller.label, figures });
      }
    }
  }
  for (const scenario of scenarios) {
    for (const caller of callers) {
      const mine = runs.filter((r) => r.scenario === scenario.name && r.caller === caller.label);
      const best = mine.reduce((a, b) => (b.figures.rps > a.figures.rps ? b : a));
      results.push(best);
    }
  }
  await setup.end();
  await app.close();
  await db.close();

  console.log(
    `\nTenancy kit RLS overhead: public.contacts with ${counts.rows[0]?.n} rows, ${CONNECTIONS} connections, ${SECONDS}s each, best of ${ROUNDS} interleaved rounds, API pool ${POOL_SIZE}, ${os.cpus().length} CPUs\n`,
  );
  console.log(
    "scenario               caller                               req/s   p50 ms  p99 ms  vs RLS off",
  );
  for (const { scenario, caller, figures } of results) {
    const off = results.find((r) => r.scenario === scenario && r.caller === "RLS off")?.figures.rps ?? 0;
    const overhead = off > 0 ? `${(100 * (1 - figures.rps / off)).toFixed(1)}% slower` : "";
    const f = (x: number, w: number) => x.toFixed(x >= 100 ? 0 : 2).padStart(w);
    console.log(
      `${scenario.padEnd(23)}${caller.padEnd(37)}${f(figures.rps, 7)} ${f(figures.p50, 8)} ${f(figures.p99, 7)}  ${caller === "RLS off" ? "baseline" : overhead}${figures.errors > 0 ? `  (errors: ${figures.errors})` : ""}`,
    );
  }
} finally {
  await example.stop();
}
