import os from "node:os";
import { SignJWT } from "jose";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { freePort } from "../../test/harness/free-port.js";
import { startExampleDatabase } from "../example-database.js";
import { autocannon, type Figures } from "../rest/load.js";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = 32;
const POOL_SIZE = 10;
const ROUNDS = Number(process.argv[3] ?? 4);
const EXAMPLE = new URL("../../examples/crm/", import.meta.url).pathname;
const ACME = "00000000-0000-4000-8000-00000000a001";

const example = await startExampleDatabase();
try {
  const adminUrl = example.adminUrl;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const user = await admin.query<{ id: string }>(
    "select id from auth.users where email = 'admin@test.local'",
  );
  const org = await admin.query<{ id: string }>(
    "select id from public.organizations where tenant_id = $1 limit 1",
    [ACME],
  );

  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(EXAMPLE, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: POOL_SIZE });
  const app = await buildServer({ config, db, logLevel: "silent" });
  const url = await listen(app, config);
  // The claims the access token hook gives the Acme admin.
  const token = await new SignJWT({
    sub: user.rows[0]?.id,
    role: "authenticated",
    aud: "authenticated",
    email: "admin@test.local",
    app_metadata: { provider: "email", tenant_id: ACME, tenant_role: "admin" },
  })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(config.jwt.secret));
  const headers = {
    apikey: config.jwt.anonKey,
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
  };
  const body = JSON.stringify({
    tenant_id: ACME,
    text: "bench note",
    organization_id: Number(org.rows[0]?.id),
  });
  const probe = await fetch(`${url}/rest/v1/notes`, { method: "POST", headers, body });
  if (probe.status !== 201) throw new Error(`insert probe: ${probe.status} ${await probe.text()}`);

  const figures: Record<"on" | "off", Figures[]> = { on: [], off: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const mode of ["on", "off"] as const) {
      await admin.query(`select groundwork.${mode === "on" ? "enable" : "disable"}_audit('public.notes')`);
      const before = await auditCount(admin);
      const result = await autocannon(`${url}/rest/v1/notes`, "POST", headers, body, {
        connections: CONNECTIONS,
        seconds: SECONDS,
      });
      const written = (await auditCount(admin)) - before;
      if ((mode === "on") !== written > 0) throw new Error(`audit ${mode} wrote ${written} audit rows`);
      if (round > 0) figures[mode].push(result);
    }
  }
  const audited = await auditCount(admin);
  await app.close();
  await db.close();
  await admin.end();

  const mean = (list: Figures[], key: keyof Figures) =>
    list.reduce((sum, f) => sum + f[key], 0) / list.length;
  const f = (x: number) => x.toFixed(x >= 100 ? 0 : 2).padStart(9);
  console.log(
    `\nAudit benchmark: POST /rest/v1/notes (1 row), ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS}s per mode, ` +
      `API pool ${POOL_SIZE}, ${os.cpus().length} CPUs; ${audited} audit rows written\n`,
  );
  console.log("audit | req/s (per round)              |   mean req/s   p50 ms   p99 ms | errors");
  for (const mode of ["on", "off"] as const) {
    const rounds = figures[mode].map((x) => x.rps.toFixed(0)).join(", ");
    console.log(
      `${mode.padEnd(5)} | ${rounds.padEnd(30)} | ${f(mean(figures[mode], "rps"))}  ${f(mean(figures[mode], "p50"))} ${f(mean(figures[mode], "p99"))} | ${mean(figures[mode], "errors")}`,
    );
  }
  // Each round's on/off pair ran back to back: their ratio is the least disturbed by drift.
  const ratios = figures.on
    .map((on, i) => on.rps / (figures.off[i]?.rps ?? Number.NaN))
    .sort((a, b) => a - b);
  const middle = ratios.length / 2;
  const median =
    ((ratios[Math.ceil(middle) - 1] ?? Number.NaN) + (ratios[Math.floor(middle)] ?? Number.NaN)) / 2;
  const meanRatio = (100 * mean(figures.on, "rps")) / mean(figures.off, "rps");
  console.log(`\naudit on / audit off, mean req/s: ${meanRatio.toFixed(1)}%`);
  console.log(
    `audit on / audit off per round: ${ratios.map((r) => `${(100 * r).toFixed(0)}%`).join(", ")} (median ${(100 * median).toFixed(1)}%)`,
  );
} finally {
  await example.stop();
}

async function auditCount(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>("select count(*) as n from groundwork.audit_log");
  return Number(rows[0]?.n ?? 0);
}
