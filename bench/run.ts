/**
 * `npm run bench -- NAME [args...]`: runs one benchmark by name, passing the arguments on; with no
 * name, lists them. Each benchmark prints its figures beside a baseline measured in the same run
 * (docs/contributing.md, "Benchmarks").
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

const BENCHMARKS: Record<string, { file: string; what: string }> = {
  startup: { file: "startup.ts", what: "start-up, idle memory, db reset (run `npm run build` first)" },
  rest: { file: "rest/rest-bench.ts", what: "data API vs the raw driver: PK GET, 100-row list, insert" },
  audit: { file: "audit/audit-bench.ts", what: "inserts through the data API, audit on vs off" },
  auth: { file: "auth/sign-in-refresh.ts", what: "sign-in and refresh" },
  credentials: {
    file: "auth/credentials-bench.ts",
    what: "API keys and tokens (HS256, ES256) resolved per second vs the bare signature check",
  },
  hooks: {
    file: "auth/hooks-bench.ts",
    what: "password sign-ins with auth hooks (password attempt, access token) vs none",
  },
  "rls-overhead": { file: "tenancy/rls-overhead.ts", what: "RLS on vs off on a protected table" },
  "policy-cost": { file: "tenancy/policy-cost.ts", what: "the policies' cost inside PostgreSQL" },
  "test-rls": { file: "tenancy/test-rls-time.ts", what: "test rls wall time on the example matrix" },
  backup: { file: "backup/backup-bench.ts", what: "db backup / restore vs plain COPY" },
  "users-seed": { file: "ops/users-seed-bench.ts", what: "users seed on seed 001's dataset" },
  sync: { file: "ops/sync-bench.ts", what: "sync push --force vs truncate + COPY" },
  reset: { file: "ops/reset-bench.ts", what: "reset --yes" },
  storage: {
    file: "storage/storage-bench.ts",
    what: "100 MB up/download vs stream copy, 100 small uploads, transforms vs sharp",
  },
  "toolboxai-aggregation": {
    file: "examples/toolboxai-aggregation.ts",
    what: "examples/toolboxai's analytics over 1,000 agents × 100 executions: function, rpc, SQL, plain query",
  },
  "storage-s3": {
    file: "storage/s3-bench.ts",
    what: "100 MB up/download through the API on the S3 backend vs the SDK alone (s3rver)",
  },
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHMARKS[name];
if (bench === undefined) {
  if (name !== undefined) console.error(`No benchmark named ${JSON.stringify(name)}.\n`);
  console.error("Usage: npm run bench -- NAME [args...]\n");
  for (const [key, { file, what }] of Object.entries(BENCHMARKS)) {
    console.error(`  ${key.padEnd(13)} ${what}  (bench/${file})`);
  }
  process.exit(name === undefined ? 0 : 2);
}
const file = path.join(path.dirname(new URL(import.meta.url).pathname), bench.file);
const run = spawnSync(process.execPath, [...process.execArgv, file, ...args], { stdio: "inherit" });
process.exit(run.status ?? 1);
