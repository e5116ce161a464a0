import http from "node:http";
import net from "node:net";
import type { SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { withContext } from "../../src/db/context.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { SERVICES } from "../../src/http/services.js";
import { requireContext } from "../../src/request/caller.js";
import type { Service, ServiceDeps } from "../../src/services/service.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { testClient } from "../harness/server.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

/**
 * A second service, as storage or realtime will be: it reads user data through withContext with
 * the caller the HTTP layer resolved, and nothing else. It must see what the data API sees.
 */
const events: string[] = [];
const registered = new WeakSet<ServiceDeps>();
const probeService: Service = {
  name: "probe",
  prefix: "/probe/v1",
  register(scope, deps: ServiceDeps) {
    registered.add(deps);
    const uploads = deps.metrics.counter("groundwork_probe_reads_total", "Probe reads", ["table"]);
    scope.get("/:table", async (request) => {
      const { table } = request.params as { table: string };
      uploads.inc({ table });
      return withContext(deps.db.api, requireContext(request), async (client) => {
        const rows = await client.query<{ id: string }>(`select id from public.${table} order by id`);
        const checked = await client.query<{ checked: string | null }>(
          "select current_setting('request.membership_checked', true) as checked",
        );
        return {
          ids: rows.rows.map((row) => String(row.id)),
          scopeAttached: checked.rows[0]?.checked === "on",
        };
      });
    });
  },
  start(deps) {
    // The same deps object as register got, so state can pass from one to the other.
    events.push(registered.has(deps) ? "started" : "started with other deps");
    deps.log.debug("probe started");
    return { stop: () => void events.push("stopped") };
  },
};

let database: TestDatabase;
let db: ReturnType<typeof connectDatabase>;
let app: Awaited<ReturnType<typeof buildServer>>;
let url: string;
let config: Config;

beforeAll(async () => {
  database = await createTestDatabase("crm");
  config = await loadConfig(EXAMPLE_PROJECT, {
    DATABASE_URL: database.adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: database.apiUrl,
    GROUNDWORK_API_PORT: "0",
  });
  db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 5 });
  app = await buildServer({ config, db, logLevel: "silent", services: [...SERVICES, probeService] });
  url = await listen(app, config);
});
afterAll(async () => {
  await app.close();
  expect(events).toEqual(["started", "stopped"]);
  await db.close();
  await database.drop();
});

async function signedIn(email: string): Promise<{ client: SupabaseClient; token: string }> {
  const client = testClient(url, await loadAnonKey());
  const { data, error } = await client.auth.signInWithPassword({ email, password: "TestPass123!" });
  if (error) throw error;
  return { client, token: data.session.access_token };
}

async function loadAnonKey(): Promise<string> {
  return config.jwt.anonKey;
}

describe("a second service running SQL as the caller", () => {
  it.each([
    ["admin@test.local", "contacts"],
    ["director@test.local", "contacts"],
    ["manager@test.local", "contacts"],
    ["manager@test.local", "sales"],
    ["manager@test.local", "products"],
  ])("sees exactly the rows the data API sees (%s, %s)", async (email, table) => {
    const { client, token } = await signedIn(email);
    const rest = await client.from(table).select("id").order("id").limit(100_000);
    expect(rest.error).toBeNull();
    const restIds = (rest.data ?? []).map((row: { id: unknown }) => String(row.id));
    const anonKey = await loadAnonKey();
    const probe = await fetch(`${url}/probe/v1/${table}`, {
      headers: { apikey: anonKey, authorization: `Bearer ${token}` },
    });
    expect(probe.status).toBe(200);
    const body = (await probe.json()) as { ids: string[]; scopeAttached: boolean };
    expect(body.ids).toEqual(restIds);
    // The tenant scope came from the server's cache, as for the data API, not from SQL lookups.
    expect(body.scopeAttached).toBe(true);
    expect(restIds.length).toBeGreaterThan(0);
  });

  it("sees nothing of a protected table as anon, as the data API", async () => {
    const anonKey = await loadAnonKey();
    const probe = await fetch(`${url}/probe/v1/contacts`, { headers: { apikey: anonKey } });
    const rest = await fetch(`${url}/rest/v1/contacts?select=id`, { headers: { apikey: anonKey } });
    const body = (await probe.json()) as { ids: string[]; scopeAttached: boolean };
    expect(probe.status).toBe(200);
    expect(body).toEqual({ ids: [], scopeAttached: false });
    expect(await rest.json()).toEqual([]);
  });
});

describe("the shared LISTEN connection", () => {
  it("is one connection carrying the schema and the tenant scope channels", async () => {
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ query: string }>(
        `select query from pg_stat_activity where datname = current_database() and query ilike 'listen %'`,
      );
      expect(rows).toHaveLength(1);
      // Its last statement LISTENs to whichever channel was subscribed last (pgrst, groundwork_scope, realtime's).
      expect(rows[0]?.query).toMatch(/^listen [a-z_]+/);
    } finally {
      await client.end();
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^groundwork_listener_up 1$/m);
  });
});

describe("GET /metrics", () => {
  it("answers a loopback client in the Prometheus text format, and moves with requests", async () => {
    const before = await fetch(`${url}/metrics`);
    expect(before.status).toBe(200);
    expect(before.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await before.text();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/);
    }
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^groundwork_db_pool_connections\{pool="api",state="in_use"\} \d+$/m);
    const count = (body: string) =>
      Number(
        /^groundwork_http_request_duration_seconds_count\{service="rest",route="\/rest\/v1\/\*",method="GET",status="200"\} (\d+)$/m.exec(
          body,
        )?.[1] ?? 0,
      );
    const anonKey = await loadAnonKey();
    for (let i = 0; i < 3; i += 1) {
      await fetch(`${url}/rest/v1/products?select=id`, { headers: { apikey: anonKey } });
    }
    const after = await (await fetch(`${url}/metrics`)).text();
    expect(count(after) - count(text)).toBe(3);
    expect(after).toMatch(/^groundwork_tenant_scope_lookups_total\{result="(hit|miss)"\} [1-9]/m);
    expect(after).toMatch(
      /^groundwork_auth_sign_ins_total\{grant_type="password",outcome="success"\} [1-9]/m,
    );
    expect(after).toMatch(/^groundwork_probe_reads_total\{table="contacts"\} [1-9]/m);
  });

  it("counts failed sign-ins by reason", async () => {
    const anonKey = await loadAnonKey();
    const response = await fetch(`${url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@test.local", password: "wrong-password-ü" }),
    });
    expect(response.status).toBe(400);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(
      /^groundwork_auth_sign_ins_total\{grant_type="password",outcome="invalid_credentials"\} [1-9]/m,
    );
  });
});

describe("a service whose start fails", () => {
  it("fails the server's start, and what did start is stopped", async () => {
    const stopped: string[] = [];
    const good: Service = { name: "good", start: () => ({ stop: () => void stopped.push("good") }) };
    const bad: Service = {
      name: "bad",
      start: async () => {
        throw new Error("worker could not start: ümlaut");
      },
    };
    const extra = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 1 });
    try {
      await expect(
        buildServer({ config, db: extra, logLevel: "silent", services: [good, bad] }),
      ).rejects.toThrow("worker could not start: ümlaut");
      expect(stopped).toEqual(["good"]);
    } finally {
      await extra.close();
    }
  });
});

describe("closing the server", () => {
  it("answers the requests under way, then cuts what is still open after a grace period", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Service = {
      name: "slow",
      prefix: "/slow",
      register(scope) {
        scope.get("/", async () => {
          await released;
          return { answer: "fini ✨" };
        });
      },
    };
    const extra = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 1 });
    const server = await buildServer({ config, db: extra, logLevel: "silent", services: [slow] });
    try {
      const address = await listen(server, config);
      // A keep-alive client: after its answer the connection stays open, idle, unless closed.
      const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
      const answered = new Promise<string>((resolve, reject) => {
        http
          .get(`${address}/slow`, { agent }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => {
              body += chunk;
            });
            response.on("end", () => resolve(body));
          })
          .on("error", reject);
      });
      // A client that announces a body and stops sending it halfway.
      const { port } = new URL(address);
      const stalled = net.connect(Number(port), "127.0.0.1");
      stalled.on("error", () => {});
      stalled.write("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part of ✨");
      await new Promise((resolve) => setTimeout(resolve, 100)); // both requests are under way
      const began = Date.now();
      const closed = server.close();
      release();
      expect(JSON.parse(await answered)).toEqual({ answer: "fini ✨" });
      await closed;
      stalled.destroy();
      // Without the grace period, the stalled request holds the close up to Node's 5-minute
      // request timeout.
      expect(Date.now() - began).toBeLessThan(15_000);
      agent.destroy();
    } finally {
      await extra.close();
    }
  });
});
