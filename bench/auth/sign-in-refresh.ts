/**
 * Auth throughput at 16 concurrent clients (issue 3): password sign-ins per second at GoTrue's
 * default bcrypt cost (10) and refreshes per second, each side by side in the same run with its
 * baseline: the bare bcrypt comparison at the same cost and concurrency, and the bare refresh-token
 * INSERT through the raw driver. The ratios show what the server adds (HTTP, JSON, lookups, the
 * session rows, audit rows, signing). bcrypt is also measured with one comparison per CPU, its
 * real ceiling: 16 comparisons queued at once on the thread pool run slower than a few.
 *
 * Run: npx tsx bench/auth/sign-in-refresh.ts [seconds per measurement, default 5] [rounds, default 3]
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import bcrypt from "bcrypt";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { applyPlatformSchema } from "../../src/platform/apply.js";
import { freePort } from "../../test/harness/free-port.js";

const CONCURRENCY = 16;
const COST = 10;
const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 3);
const PASSWORD = "bench-password-1";

interface Figure {
  readonly perSecond: number;
  readonly meanMs: number;
  readonly errors: number;
}

/**
 * Runs `concurrency` loops of `task` for `SECONDS` (after a 1 s warm-up) and counts completions
 * per second of wall time (the last tasks may finish after the deadline; they count, and so does
 * the time they took).
 */
async function measure(
  task: (worker: number) => Promise<boolean>,
  concurrency = CONCURRENCY,
): Promise<Figure> {
  const run = async (durationMs: number) => {
    const started = performance.now();
    const until = started + durationMs;
    let done = 0;
    let errors = 0;
    let busyMs = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < until) {
          const began = performance.now();
          if (await task(worker)) done++;
          else errors++;
          busyMs += performance.now() - began;
        }
      }),
    );
    return { done, errors, busyMs, seconds: (performance.now() - started) / 1000 };
  };
  await run(1000);
  const { done, errors, busyMs, seconds } = await run(SECONDS * 1000);
  return { perSecond: done / seconds, meanMs: busyMs / Math.max(1, done + errors), errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-auth-"));
  chmodSync(dir, 0o755); // PostgreSQL runs as "postgres" when this runs as root
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port: await freePort(),
    portSetting: "(bench)",
    settings: { max_connections: "100" },
  });
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await applyPlatformSchema(admin);
    await admin.query("alter role authenticator with login password 'postgres'");

    // 16 confirmed users with cost-10 hashes, as GoTrue would have stored them.
    const passwordHash = await bcrypt.hash(PASSWORD, await bcrypt.genSalt(COST, "a"));
    const emails = Array.from({ length: CONCURRENCY }, (_, i) => `bench${i}@example.com`);
    for (const email of emails) {
      await admin.query(
        `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                 raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1, $2,
                 now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now())`,
        [email, passwordHash],
      );
    }

    const project = path.join(dir, "project");
    mkdirSync(path.join(project, "supabase"), { recursive: true });
    writeFileSync(
      path.join(project, "supabase", "config.toml"),
      `[auth.rate_limit]\nsign_in_sign_ups = 100000000\ntoken_refresh = 100000000\n`,
    );
    writeFileSync(path.join(project, "groundwork.toml"), `[auth]\npassword_hash_cost = ${COST}\n`);
    const config = await loadConfig(project, {
      DATABASE_URL: cluster.url(),
      GROUNDWORK_AUTHENTICATOR_URL: withCredentials(cluster.url(), "authenticator", "postgres"),
      GROUNDWORK_API_PORT: "0",
    });
    const db = connectDatabase({
      adminUrl: cluster.url(),
      apiUrl: config.db.authenticatorUrl ?? "",
      poolSize: 10,
    });
    const app = await buildServer({ config, db, logLevel: "silent" });
    const url = `${await listen(app, config)}/auth/v1`;
    const headers = { apikey: config.jwt.anonKey, "content-type": "application/json" };

    const raw = new pg.Pool({ connectionString: cluster.url(), max: Math.max(2, Math.ceil(10 / 2)) });
    // Each client signs in once and then refreshes its own session with the token it was last given.
    const tokens: string[] = [];
    for (const email of emails) {
      const response = await fetch(`${url}/token?grant_type=password`, {
        method: "POST",
        headers,
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      tokens.push(((await response.json()) as { refresh_token: string }).refresh_token);
    }
    const { rows } = await raw.query<{ id: string; user_id: string }>(
      "select id, user_id from auth.sessions limit 1",
    );
    const session = rows[0];
    if (!session) throw new Error("no session after signing in");
    let sequence = 0;

    const tasks: Record<string, (worker: number) => Promise<boolean>> = {
      // The HTTP floor of this harness: the same fetch loop against the cheapest auth route.
      health: async () => {
        const response = await fetch(`${url}/health`, { headers });
        await response.arrayBuffer();
        return response.status === 200;
      },
      bcrypt: async () => bcrypt.compare(PASSWORD, passwordHash),
      signIn: async (worker) => {
        const response = await fetch(`${url}/token?grant_type=password`, {
          method: "POST",
          headers,
          body: JSON.stringify({ email: emails[worker], password: PASSWORD }),
        });
        await response.arrayBuffer();
        return response.status === 200;
      },
      // The raw driver's floor for a refresh: one INSERT of a refresh token into an existing
      // session, on a pool the size of the server's admin pool.
      insert: async () => {
        sequence += 1;
        await raw.query(
          `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
           values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3)`,
          [`bench-${process.pid}-${sequence}`, session.user_id, session.id],
        );
        return true;
      },
      refresh: async (worker) => {
        const response = await fetch(`${url}/token?grant_type=refresh_token`, {
          method: "POST",
          headers,
          body: JSON.stringify({ refresh_token: tokens[worker] }),
        });
        const body = (await response.json()) as { refresh_token?: string };
        if (response.status !== 200 || !body.refresh_token) return false;
        tokens[worker] = body.refresh_token;
        return true;
      },
    };
    // Interleaved rounds, median of each: a shared machine's noise hits every figure alike.
    const results: Record<string, Figure[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, task] of Object.entries(tasks)) {
        const figure = await measure(task);
        results[name] = [...(results[name] ?? []), figure];
      }
      // bcrypt's ceiling: one comparison per CPU at a time (16 queued comparisons run slower).
      const perCpu = await measure(tasks.bcrypt as (worker: number) => Promise<boolean>, os.cpus().length);
      results.bcryptPerCpu = [...(results.bcryptPerCpu ?? []), perCpu];
    }
    await raw.end();
    const median = (name: string): Figure => {
      const sorted = [...(results[name] ?? [])].sort((a, b) => a.perSecond - b.perSecond);
      return sorted[Math.floor(sorted.length / 2)] as Figure;
    };
    for (const [name, figures] of Object.entries(results)) {
      console.log(
        `  rounds ${name.padEnd(8)} ${figures.map((figure) => figure.perSecond.toFixed(1)).join("  ")}`,
      );
    }
    const ratio = (top: string, bottom: string): string => {
      const ratios = (results[top] ?? []).map(
        (figure, i) => figure.perSecond / (results[bottom]?.[i]?.perSecond ?? 1),
      );
      return (ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? 0).toFixed(3);
    };
    const health = median("health");
    const bareCompare = median("bcrypt");
    const signIns = median("signIn");
    const inserts = median("insert");
    const refreshes = median("refresh");

    await app.close();
    await db.close();
    await admin.end();

    const row = (name: string, figure: Figure) =>
      `${name.padEnd(44)} ${figure.perSecond.toFixed(1).padStart(9)}/s  mean ${figure.meanMs.toFixed(2).padStart(7)} ms  errors ${figure.errors}`;
    console.log(
      `auth throughput, ${CONCURRENCY} concurrent clients, median of ${ROUNDS} interleaved ${SECONDS} s runs, ${os.cpus().length} CPUs`,
    );
    console.log(row("GET /auth/v1/health (HTTP floor)", health));
    console.log(row(`bare bcrypt compare (cost ${COST})`, bareCompare));
    console.log(row("POST /token?grant_type=password", signIns));
    console.log(`  sign-in / bare bcrypt = ${ratio("signIn", "bcrypt")} (median of the per-round ratios)`);
    console.log(row(`bare bcrypt compare, ${os.cpus().length} concurrent (ceiling)`, median("bcryptPerCpu")));
    console.log(`  sign-in / bcrypt ceiling = ${ratio("signIn", "bcryptPerCpu")}`);
    console.log(row("bare refresh-token INSERT (raw driver)", inserts));
    console.log(row("POST /token?grant_type=refresh_token", refreshes));
    console.log(`  refresh / bare INSERT = ${ratio("refresh", "insert")} (median of the per-round ratios)`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
