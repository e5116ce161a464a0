/**
 * REST data API benchmark (issue 4 figures). Starts its own embedded cluster with the example
 * project and extra rows, starts the API server in this process, and measures with autocannon in
 * a second process at 32 connections:
 *   (a) single-row GET by primary key under an RLS policy, as an authenticated user
 *   (b) a 100-row filtered list with one embed
 *   (c) a single-row insert
 * Side by side, in the same run, a third process runs the raw driver doing the same transaction
 * (BEGIN + the same set_config + the same statement + COMMIT) at the same concurrency.
 *
 *   [BENCH_ONLY=ac] npx tsx bench/rest/rest-bench.ts [seconds]
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import type { RequestContext } from "../../src/db/context.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { observeStatements, type Statement } from "../../src/services/rest/execute.js";
import { freePort } from "../../test/harness/free-port.js";
import { startExampleDatabase } from "../example-database.js";
import { postmasterPid, serverCpuMicros } from "../server-cpu.js";
import { autocannon, type Figures } from "./load.js";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = 32;
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);
const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE = path.join(ROOT, "examples/crm");
const ACME = "00000000-0000-4000-8000-00000000a001";

const example = await startExampleDatabase();
try {
  const adminUrl = example.adminUrl;
  const setup = new pg.Client({ connectionString: adminUrl });
  await setup.connect();
  // More rows: 200 organizations and 20,000 contacts per tenant, so (b) has full 100-row pages.
  await setup.query(`
    insert into public.organizations (tenant_id, name, sector, city, country)
    select t.id, 'Org ' || t.slug || ' ' || g, 'retail', 'City ' || (g % 20), 'US'
    from public.tenants t, generate_series(1, 200) g;
    insert into public.contacts (tenant_id, organization_id, first_name, last_name, email, status)
    select o.tenant_id, o.id, 'First' || g, 'Last' || g, 'c' || g || '@example.com',
           (array['cold', 'warm', 'hot', 'in-contract'])[1 + g % 4]
    from public.organizations o, generate_series(1, 100) g where o.name like 'Org %';
    analyze;`);
  const { rows } = await setup.query<{ id: string }>(
    "select id from auth.users where email = 'admin@test.local'",
  );
  const contact = await setup.query<{ id: string }>(
    "select id from public.contacts where tenant_id = $1 order by id desc limit 1",
    [ACME],
  );
  const org = await setup.query<{ id: string }>(
    "select id from public.organizations where tenant_id = $1 limit 1",
    [ACME],
  );
  await setup.end();

  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(EXAMPLE, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: POOL_SIZE });
  const app = await buildServer({ config, db, logLevel: "silent" });
  const url = await listen(app, config);
  // The claims the example's access token hook adds: the active tenant and the role in it.
  const appMetadata = { tenant_id: ACME, tenant_role: "admin" };
  const token = await new SignJWT({
    sub: rows[0]?.id,
    role: "authenticated",
    aud: "authenticated",
    app_metadata: appMetadata,
  })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(config.jwt.secret));

  const scenarios = [
    {
      name: "(a) GET one row by PK under RLS",
      method: "GET",
      path: `/rest/v1/contacts?id=eq.${contact.rows[0]?.id}`,
      body: undefined,
      readOnly: true,
    },
    {
      name: "(b) 100-row filtered list + 1 embed",
      method: "GET",
      path: "/rest/v1/contacts?select=id,first_name,last_name,status,organizations(name,city)&status=eq.warm&order=id&limit=100",
      body: undefined,
      readOnly: true,
    },
    {
      name: "(c) single-row insert",
      method: "POST",
      path: "/rest/v1/notes",
      body: JSON.stringify({ tenant_id: ACME, text: "bench note", organization_id: Number(org.rows[0]?.id) }),
      readOnly: false,
    },
  ];

  const results: { name: string; api: Figures; raw: Figures; apiCpu: number }[] = [];
  const probeClient = await db.admin.connect();
  const postmaster = await postmasterPid(probeClient);
  probeClient.release();
  // BENCH_ONLY=ac runs only scenarios (a) and (c), e.g. to alternate builds in short rounds.
  const only = process.env.BENCH_ONLY;
  for (const scenario of scenarios.filter((s) => !only || only.includes(s.name.charAt(1)))) {
    const headers: Record<string, string> = {
      apikey: config.jwt.anonKey,
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    };
    // One request to capture the statement the API generates, and check that it succeeds.
    let captured: Statement | null = null;
    const stop = observeStatements((statement) => {
      captured = statement;
    });
    const probe = await fetch(`${url}${scenario.path}`, {
      method: scenario.method,
      headers,
      body: scenario.body,
    });
    stop();
    const probeText = await probe.text();
    if (probe.status >= 300) throw new Error(`${scenario.name}: ${probe.status} ${probeText}`);
    if (scenario.name.startsWith("(b)") && (JSON.parse(probeText) as unknown[]).length !== 100) {
      throw new Error("(b) does not return 100 rows");
    }
    const statement = captured as Statement | null;
    if (!statement) throw new Error("no statement captured");

    const cpuBefore = serverCpuMicros(postmaster);
    const api = await autocannon(url + scenario.path, scenario.method, headers, scenario.body, {
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    const apiCpu = (serverCpuMicros(postmaster) - cpuBefore) / Math.max(1, api.rps * SECONDS);
    const context: RequestContext = {
      role: "authenticated",
      claims: { sub: rows[0]?.id, role: "authenticated", aud: "authenticated", app_metadata: appMetadata },
      token,
      headers: { ...headers, host: new URL(url).host, "x-forwarded-for": "127.0.0.1" },
      cookies: {},
      method: scenario.method,
      path: scenario.path.replace("/rest/v1", "").split("?")[0] as string,
      requestId: "bench",
    };
    const raw = await rawDriver({
      url: apiUrl,
      poolSize: POOL_SIZE,
      concurrency: CONNECTIONS,
      seconds: SECONDS,
      context,
      searchPath: ["public", ...config.api.extraSearchPath],
      readOnly: scenario.readOnly,
      text: statement.text,
      values: statement.values,
    });
    results.push({ name: scenario.name, api, raw, apiCpu });
  }
  await app.close();
  await db.close();

  console.log(
    `\nREST benchmark: ${CONNECTIONS} connections, ${SECONDS}s each, API pool ${POOL_SIZE}, ${os.cpus().length} CPUs\n`,
  );
  console.log(
    "scenario                                  | API req/s  p50 ms  p99 ms | raw req/s  p50 ms  p99 ms | API/raw",
  );
  for (const { name, api, raw } of results) {
    const f = (x: number, w: number) => x.toFixed(x >= 100 ? 0 : 2).padStart(w);
    console.log(
      `${name.padEnd(42)}| ${f(api.rps, 9)} ${f(api.p50, 7)} ${f(api.p99, 7)} | ${f(raw.rps, 9)} ${f(raw.p50, 7)} ${f(raw.p99, 7)} | ${(
        (100 * api.rps) / raw.rps
      ).toFixed(0)}%${api.errors + raw.errors > 0 ? `  (errors: api ${api.errors}, raw ${raw.errors})` : ""}`,
    );
  }
  // Requests per second swing with whatever else runs on a shared machine; the CPU the server
  // side (this process and the cluster) spends per request does far less.
  console.log("\nserver CPU per API request (this process + the cluster):");
  for (const { name, apiCpu } of results)
    console.log(`${name.padEnd(42)}| ${apiCpu.toFixed(0).padStart(6)} us`);
} finally {
  await example.stop();
}

function rawDriver(job: object): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "bench/rest/raw-driver.ts"), JSON.stringify(job)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`raw driver exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as Figures);
    });
  });
}
