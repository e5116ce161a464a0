/**
 * Tenancy kit benchmark (issue 5 figures): what the policies groundwork.protect() writes cost
 * through the data API. The example project's public.contacts (protected by the kit) with 28,000
 * rows, measured in one run with row-level security ON and OFF for the same table, with the load
 * generator of bench/rest (autocannon in a second process, 32 connections):
 *   (a) single-row GET by primary key
 *   (b) a 100-row list (order by id, limit 100)
 * ON is measured for the tenant admin (tenant scope) and the account manager (own scope, which
 * also looks up the caller's public.sales rows). For the list, "same rows" baselines ask with RLS
 * off for exactly the rows the policy shows that caller (the filter an app would need without
 * row-level security), since the plain RLS-off list returns other rows.
 *
 *   npx tsx bench/tenancy/rls-overhead.ts [seconds] [rounds]
 */
import os from "node:os";
import { SignJWT } from "jose";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { freePort } from "../../test/harness/free-port.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";
import { autocannon, type Figures } from "../rest/load.js";
import { postmasterPid, serverCpuMicros } from "../server-cpu.js";

const SECONDS = Number(process.argv[2] ?? 10);
/** Each configuration runs this many times, interleaved; the best run counts (least disturbed). */
const ROUNDS = Number(process.argv[3] ?? 2);
const CONNECTIONS = 32;
const POOL_SIZE = 10;
const ACME = "00000000-0000-4000-8000-00000000a001";

interface Config {
  readonly scenario: string;
  readonly label: string;
  readonly role: string;
  readonly rls: boolean;
  readonly path: string;
  readonly rows: number;
  /** The label of the RLS-off configuration that returns the same rows. */
  readonly sameRows?: string;
}

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
  const apiConfig = await loadConfig(EXAMPLE, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: POOL_SIZE });
  const app = await buildServer({ config: apiConfig, db, logLevel: "silent" });
  const url = await listen(app, apiConfig);
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
      .sign(new TextEncoder().encode(apiConfig.jwt.secret));
    tokens.set(user.role, token);
  }

  const managerSales = await setup.query<{ id: string }>(
    "select id from public.sales where email = 'manager@test.local'",
  );
  const pk = `/rest/v1/contacts?id=eq.${target.rows[0]?.id}`;
  const list = "/rest/v1/contacts?select=id,first_name,last_name,status&order=id&limit=100";
  // Each configuration: who asks, with RLS on or off, and the request. "same rows" baselines ask
  // with RLS off for exactly the rows the policy lets that caller see (the filter an app would
  // need without row-level security).
  const configs: Config[] = [
    { scenario: "(a) GET one row by PK", label: "RLS off", role: "admin", rls: false, path: pk, rows: 1 },
    {
      scenario: "(a) GET one row by PK",
      label: "RLS on, admin (tenant scope)",
      role: "admin",
      rls: true,
      path: pk,
      rows: 1,
    },
    {
      scenario: "(a) GET one row by PK",
      label: "RLS on, account_manager (own)",
      role: "account_manager",
      rls: true,
      path: pk,
      rows: 1,
    },
    { scenario: "(b) 100-row list", label: "RLS off", role: "admin", rls: false, path: list, rows: 100 },
    {
      scenario: "(b) 100-row list",
      label: "RLS off, admin's rows",
      role: "admin",
      rls: false,
      path: `${list}&tenant_id=eq.${ACME}`,
      rows: 100,
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS on, admin (tenant scope)",
      role: "admin",
      rls: true,
      path: list,
      rows: 100,
      sameRows: "RLS off, admin's rows",
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS off, account_manager's rows",
      role: "admin",
      rls: false,
      path: `${list}&sales_id=eq.${managerSales.rows[0]?.id}`,
      rows: 100,
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS on, account_manager (own)",
      role: "account_manager",
      rls: true,
      path: list,
      rows: 100,
      sameRows: "RLS off, account_manager's rows",
    },
  ];
  const postmaster = await postmasterPid(setup);
  const runs: { config: Config; figures: Figures; cpuPerRequest: number }[] = [];
  let rlsOn: boolean | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of configs.filter(
      (c) => !process.env.ONLY || c.scenario.startsWith(process.env.ONLY),
    )) {
      if (config.rls !== rlsOn) {
        // DDL makes the API reload its schema cache (NOTIFY pgrst, debounced): let that finish
        // before measuring, so that no configuration pays for another's reload.
        await setup.query(
          `alter table public.contacts ${config.rls ? "enable" : "disable"} row level security`,
        );
        rlsOn = config.rls;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const headers = { apikey: apiConfig.jwt.anonKey, authorization: `Bearer ${tokens.get(config.role)}` };
      const probe = await fetch(`${url}${config.path}`, { headers });
      const body = (await probe.json()) as unknown[];
      if (probe.status !== 200 || body.length !== config.rows) {
        throw new Error(`${config.scenario}, ${config.label}: ${probe.status}, ${body.length} rows`);
      }
      const load = { connections: CONNECTIONS, seconds: 2, warmup: false };
      await autocannon(url + config.path, "GET", headers, undefined, load); // warm-up
      const cpuBefore = serverCpuMicros(postmaster);
      const figures = await autocannon(url + config.path, "GET", headers, undefined, {
        ...load,
        seconds: SECONDS,
      });
      const cpuPerRequest = (serverCpuMicros(postmaster) - cpuBefore) / figures.requests;
      runs.push({ config, figures, cpuPerRequest });
    }
  }
  const runsOf = (config: Config) => runs.filter((r) => r.config === config);
  const best = (config: Config) =>
    runsOf(config).reduce((a, b) => (b.figures.rps > a.figures.rps ? b : a)).figures;
  const cpu = (config: Config) => Math.min(...runsOf(config).map((r) => r.cpuPerRequest));
  await setup.end();
  await app.close();
  await db.close();

  console.log(
    `\nTenancy kit RLS overhead: public.contacts with ${counts.rows[0]?.n} rows, ${CONNECTIONS} connections, ${SECONDS}s each, ${ROUNDS} interleaved rounds (best req/s, least CPU), API pool ${POOL_SIZE}, ${os.cpus().length} CPUs`,
  );
  console.log("Server CPU: the API process and every PostgreSQL process, per request answered.\n");
  console.log(
    "scenario               configuration                       req/s   p50 ms  p99 ms  slower   server CPU µs/req  more CPU  (vs same rows)",
  );
  const f = (x: number, w: number) => x.toFixed(x >= 100 ? 0 : 2).padStart(w);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  for (const config of configs.filter((c) => runsOf(c).length > 0)) {
    const figures = best(config);
    const off = configs.find((c) => c.scenario === config.scenario && c.label === "RLS off");
    const same = configs.find((c) => c.scenario === config.scenario && c.label === config.sameRows);
    const slower = config.rls && off ? pct(1 - figures.rps / best(off).rps) : "";
    const moreCpu = config.rls && off ? pct(cpu(config) / cpu(off) - 1) : "";
    const vsSame = config.rls && same ? `(${pct(cpu(config) / cpu(same) - 1)})` : "";
    console.log(
      `${config.scenario.padEnd(23)}${config.label.padEnd(34)}${f(figures.rps, 7)} ${f(figures.p50, 8)} ${f(figures.p99, 7)}  ${slower.padStart(6)}  ${cpu(config).toFixed(0).padStart(17)}  ${moreCpu.padStart(8)}  ${vsSame}${figures.errors > 0 ? `  (errors: ${figures.errors})` : ""}`,
    );
  }
} finally {
  await example.stop();
}
