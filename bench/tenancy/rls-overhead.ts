/**
 * Tenancy kit benchmark (issue 5 figures): what the policies groundwork.protect() writes cost
 * through the data API. The example project's public.contacts (protected by the kit) with 28,000
 * rows, with the load generator of bench/rest (autocannon in a second process, 32 connections):
 *   (a) single-row GET by primary key
 *   (b) a 100-row list (order by id, limit 100)
 * RLS on is measured for the tenant admin (tenant scope) and the account manager (own scope, which
 * also needs the caller's public.sales rows). For the list, "same rows" baselines ask with RLS off
 * for exactly the rows the policy shows that caller (the filter an app would need without
 * row-level security), since the plain RLS-off list returns other rows.
 *
 * RLS off is the same request by the same user with the same settings, made as a role that
 * bypasses row-level security (BYPASSRLS, a member of `authenticated` with its settings): the
 * planner then leaves the policies out, as it does for a table with RLS disabled, and on and off
 * can alternate every few seconds without DDL. This machine's neighbours come and go, so the run
 * is many short rounds, the order reversed every other round, and each figure is a median: of
 * req/s, of the server's CPU time per request (the API process and every PostgreSQL process, see
 * bench/server-cpu.ts; time taken by other tenants of the machine is not in it), and of the
 * ratios between configurations measured in the same round.
 *
 *   npx tsx bench/tenancy/rls-overhead.ts [seconds per run] [rounds] [scenario, e.g. "(a)"]
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

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 10);
/** Only the scenarios whose name starts with this. */
const ONLY = process.argv[4] ?? "";
const CONNECTIONS = 32;
const POOL_SIZE = 10;
const ACME = "00000000-0000-4000-8000-00000000a001";
/** The role RLS-off requests run as. */
const BYPASS_ROLE = "bench_rls_off";

interface Config {
  readonly scenario: string;
  readonly label: string;
  readonly caller: "admin" | "account_manager";
  readonly rls: boolean;
  readonly path: string;
  readonly rows: number;
  /** The label of the RLS-off configuration that returns the same rows. */
  readonly sameRows?: string;
}

interface Run {
  readonly figures: Figures;
  readonly cpuPerRequest: number;
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
    order by g, s.id;`);
  // Hint bits, visibility map and statistics as a table in use has them.
  await setup.query("vacuum (analyze) public.contacts");
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
  // The RLS-off role: authenticated's grants and settings, and BYPASSRLS.
  await setup.query(`
    create role ${BYPASS_ROLE} nologin bypassrls;
    grant authenticated to ${BYPASS_ROLE};
    grant ${BYPASS_ROLE} to authenticator;
    do $$
    declare setting text;
    begin
      for setting in select unnest(s.setconfig) from pg_db_role_setting s
        where s.setrole = 'authenticated'::regrole and s.setdatabase = 0 loop
        execute format('alter role ${BYPASS_ROLE} set %s = %L', split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1));
      end loop;
    end $$;`);

  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const apiConfig = await loadConfig(EXAMPLE, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: POOL_SIZE });
  const app = await buildServer({ config: apiConfig, db, logLevel: "silent" });
  const url = await listen(app, apiConfig);
  /** Tokens by caller and role claim: the example hook's claims (active tenant, role in it). */
  const tokens = new Map<string, string>();
  for (const user of users.rows) {
    for (const role of ["authenticated", BYPASS_ROLE]) {
      const token = await new SignJWT({
        sub: user.id,
        role,
        aud: "authenticated",
        email: user.email,
        app_metadata: { provider: "email", providers: ["email"], tenant_id: ACME, tenant_role: user.role },
      })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("2h")
        .sign(new TextEncoder().encode(apiConfig.jwt.secret));
      tokens.set(`${user.role}/${role}`, token);
    }
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
    { scenario: "(a) GET one row by PK", label: "RLS off", caller: "admin", rls: false, path: pk, rows: 1 },
    {
      scenario: "(a) GET one row by PK",
      label: "RLS on, admin (tenant scope)",
      caller: "admin",
      rls: true,
      path: pk,
      rows: 1,
    },
    {
      scenario: "(a) GET one row by PK",
      label: "RLS on, account_manager (own)",
      caller: "account_manager",
      rls: true,
      path: pk,
      rows: 1,
    },
    { scenario: "(b) 100-row list", label: "RLS off", caller: "admin", rls: false, path: list, rows: 100 },
    {
      scenario: "(b) 100-row list",
      label: "RLS off, admin's rows",
      caller: "admin",
      rls: false,
      path: `${list}&tenant_id=eq.${ACME}`,
      rows: 100,
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS on, admin (tenant scope)",
      caller: "admin",
      rls: true,
      path: list,
      rows: 100,
      sameRows: "RLS off, admin's rows",
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS off, account_manager's rows",
      caller: "admin",
      rls: false,
      path: `${list}&sales_id=eq.${managerSales.rows[0]?.id}`,
      rows: 100,
    },
    {
      scenario: "(b) 100-row list",
      label: "RLS on, account_manager (own)",
      caller: "account_manager",
      rls: true,
      path: list,
      rows: 100,
      sameRows: "RLS off, account_manager's rows",
    },
  ];
  const selected = configs.filter((c) => c.scenario.startsWith(ONLY));
  const headersOf = (config: Config) => ({
    apikey: apiConfig.jwt.anonKey,
    authorization: `Bearer ${tokens.get(`${config.caller}/${config.rls ? "authenticated" : BYPASS_ROLE}`)}`,
  });
  for (const config of selected) {
    const probe = await fetch(`${url}${config.path}`, { headers: headersOf(config) });
    const body = (await probe.json()) as unknown[];
    if (probe.status !== 200 || body.length !== config.rows) {
      throw new Error(`${config.scenario}, ${config.label}: ${probe.status}, ${body.length} rows`);
    }
  }
  // RLS off really is off: the bypassing role sees another tenant's rows, the admin does not.
  const otherTenant = `${url}/rest/v1/contacts?select=id&tenant_id=neq.${ACME}&limit=1`;
  for (const rls of [false, true]) {
    const config = { caller: "admin", rls } as Config;
    const visible = ((await (await fetch(otherTenant, { headers: headersOf(config) })).json()) as unknown[])
      .length;
    if (visible !== (rls ? 0 : 1))
      throw new Error(`RLS ${rls ? "on" : "off"}: ${visible} rows of another tenant`);
  }
  const postmaster = await postmasterPid(setup);
  /** Per configuration, one run per round (round 0, a warm-up, is not kept). */
  const runs = new Map<Config, Run[]>(selected.map((c) => [c, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const config of round % 2 === 0 ? selected : [...selected].reverse()) {
      const cpuBefore = serverCpuMicros(postmaster);
      const figures = await autocannon(url + config.path, "GET", headersOf(config), undefined, {
        connections: CONNECTIONS,
        seconds: round === 0 ? 1 : SECONDS,
        warmup: false,
      });
      const cpuPerRequest = (serverCpuMicros(postmaster) - cpuBefore) / figures.requests;
      if (round > 0) runs.get(config)?.push({ figures, cpuPerRequest });
    }
  }
  await setup.end();
  await app.close();
  await db.close();

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  const of = (config: Config) => runs.get(config) ?? [];
  /** Median over the rounds of `config` against `base` measured in the same round. */
  const paired = (config: Config, base: Config, measure: (on: Run, off: Run) => number) =>
    median(of(config).map((run, round) => measure(run, of(base)[round] ?? run)));
  const slower = (on: Run, off: Run) => 1 - on.figures.rps / off.figures.rps;
  const moreCpu = (on: Run, off: Run) => on.cpuPerRequest / off.cpuPerRequest - 1;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

  console.log(
    `\nTenancy kit RLS overhead: public.contacts with ${counts.rows[0]?.n} rows, ${CONNECTIONS} connections, API pool ${POOL_SIZE}, ${os.cpus().length} CPUs, ${ROUNDS} rounds of ${SECONDS} s per configuration; medians\n`,
  );
  console.log(
    "scenario               configuration                     req/s  p50 ms  p99 ms  CPU µs/req   slower  more CPU   vs same rows: slower, more CPU",
  );
  for (const config of selected) {
    const off = selected.find((c) => c.scenario === config.scenario && c.label === "RLS off");
    const same = selected.find((c) => c.scenario === config.scenario && c.label === config.sameRows);
    const versus = (base: Config | undefined) =>
      config.rls && base ? [pct(paired(config, base, slower)), pct(paired(config, base, moreCpu))] : ["", ""];
    const [vsOff, cpuVsOff] = versus(off);
    const [vsSame, cpuVsSame] = versus(same);
    console.log(
      `${config.scenario.padEnd(23)}${config.label.padEnd(32)}${median(of(config).map((r) => r.figures.rps))
        .toFixed(0)
        .padStart(7)}` +
        `${median(of(config).map((r) => r.figures.p50))
          .toFixed(1)
          .padStart(8)}${median(of(config).map((r) => r.figures.p99))
          .toFixed(1)
          .padStart(8)}` +
        `${median(of(config).map((r) => r.cpuPerRequest))
          .toFixed(0)
          .padStart(12)}${(vsOff ?? "").padStart(9)}${(cpuVsOff ?? "").padStart(10)}` +
        `${same && config.rls ? `   ${vsSame}, ${cpuVsSame}` : ""}`,
    );
  }
  console.log("\nEvery round (req/s @ server CPU µs/req), to show the spread:");
  for (const config of selected) {
    const rounds = of(config).map((r) => `${r.figures.rps.toFixed(0)} @ ${r.cpuPerRequest.toFixed(0)}`);
    console.log(`${config.scenario.padEnd(23)}${config.label.padEnd(32)}${rounds.join("  ")}`);
  }
} finally {
  await example.stop();
}
