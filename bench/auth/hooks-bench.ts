/**
 * What auth hooks cost a password sign-in, side by side in one run: the same sign-in loop against
 * three servers on one database, one without hooks (the baseline), one with a
 * password_verification_attempt hook (its own transaction, committed before the sign-in goes
 * on) and one with that hook and a custom_access_token hook (inside the sign-in's transaction).
 * Both hooks are small SQL functions, so the figures show the cost of calling a hook, not of
 * what a hook does. bcrypt runs at cost 4 so the hooks are not lost under it.
 *
 * Run: npx tsx bench/auth/hooks-bench.ts [seconds per measurement, default 5] [rounds, default 3]
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

const CONCURRENCY = 8;
const COST = 4;
const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 3);
const PASSWORD = "bench-password-1";

const HOOKS_SQL = `
  create function public.bench_password_attempt(event jsonb) returns jsonb language sql as
    $$ select jsonb_build_object('decision', 'continue') $$;
  create function public.bench_access_token(event jsonb) returns jsonb language sql as
    $$ select jsonb_build_object('claims', (event -> 'claims') || '{"tier": "gold"}') $$;
  grant execute on function public.bench_password_attempt, public.bench_access_token to supabase_auth_admin;
`;

const SETUPS: Readonly<Record<string, string>> = {
  "no hooks": "",
  "password attempt hook": hookToml("password_verification_attempt", "bench_password_attempt"),
  "password attempt + access token hooks": `${hookToml("password_verification_attempt", "bench_password_attempt")}${hookToml("custom_access_token", "bench_access_token")}`,
};

function hookToml(name: string, fn: string): string {
  return `[auth.hook.${name}]\nenabled = true\nuri = "pg-functions://postgres/public/${fn}"\n`;
}

/** Sign-ins per second over `SECONDS` (after a 1 s warm-up), `CONCURRENCY` loops at once. */
async function measure(
  signIn: (worker: number) => Promise<boolean>,
): Promise<{ perSecond: number; errors: number }> {
  const run = async (durationMs: number) => {
    const started = performance.now();
    const until = started + durationMs;
    let done = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (performance.now() < until) {
          if (await signIn(worker)) done++;
          else errors++;
        }
      }),
    );
    return { done, errors, seconds: (performance.now() - started) / 1000 };
  };
  await run(1000);
  const { done, errors, seconds } = await run(SECONDS * 1000);
  return { perSecond: done / seconds, errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-bench-hooks-"));
  chmodSync(dir, 0o755); // PostgreSQL runs as "postgres" when this runs as root
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port: await freePort(),
    portSetting: "(bench)",
    settings: { max_connections: "100" },
  });
  const closers: Array<() => Promise<void>> = [];
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    closers.push(() => admin.end());
    await applyPlatformSchema(admin);
    await admin.query("alter role authenticator with login password 'postgres'");
    await admin.query(HOOKS_SQL);
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

    const tasks: Record<string, (worker: number) => Promise<boolean>> = {};
    for (const [name, hooks] of Object.entries(SETUPS)) {
      const project = path.join(dir, name.replaceAll(/\W+/g, "-"));
      mkdirSync(path.join(project, "supabase"), { recursive: true });
      writeFileSync(
        path.join(project, "supabase", "config.toml"),
        `[auth.rate_limit]\nsign_in_sign_ups = 100000000\ntoken_refresh = 100000000\n${hooks}`,
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
      closers.unshift(async () => {
        await app.close();
        await db.close();
      });
      const url = `${await listen(app, config)}/auth/v1/token?grant_type=password`;
      const headers = { apikey: config.jwt.anonKey, "content-type": "application/json" };
      tasks[name] = async (worker) => {
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({ email: emails[worker], password: PASSWORD }),
        });
        const body = (await response.json()) as { access_token?: string };
        return response.status === 200 && typeof body.access_token === "string";
      };
    }

    // Interleaved rounds, median of each: a shared machine's noise hits every figure alike.
    const results: Record<string, number[]> = {};
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, task] of Object.entries(tasks)) {
        const figure = await measure(task);
        results[name] = [...(results[name] ?? []), figure.perSecond];
        errors += figure.errors;
      }
    }
    const median = (values: readonly number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const baseline = results["no hooks"] ?? [];
    console.log(
      `password sign-ins with auth hooks, ${CONCURRENCY} concurrent clients, bcrypt cost ${COST}, median of ${ROUNDS} interleaved ${SECONDS} s runs, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]?.toFixed(1)}`,
    );
    for (const [name, values] of Object.entries(results)) {
      const ratios = values.map((value, i) => value / (baseline[i] ?? 1));
      console.log(
        `${name.padEnd(40)} ${median(values).toFixed(1).padStart(8)}/s  vs no hooks ${median(ratios).toFixed(3)}  rounds ${values.map((v) => v.toFixed(1)).join(" ")}`,
      );
    }
    console.log(`errors: ${errors}`);
  } finally {
    for (const close of closers) await close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
