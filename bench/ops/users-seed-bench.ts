/**
 * `groundwork users seed` on seed 001's dataset (three users; 943 rows): the target is
 * <= 3 s (seed 001's shell script: < 30 s). Measures, on fresh copies of the example database,
 * the operation called in-process, the CLI command as a user runs it (a child process from
 * source through tsx, as the tests run it), a second (no-op) run, and two baselines from the
 * same run: one bcrypt hash at the configured cost, and the CLI's start-up alone (--version).
 *
 *   npx tsx bench/ops/users-seed-bench.ts [rounds]
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import bcrypt from "bcrypt";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withDatabase } from "../../src/db/database-url.js";
import { runUsersSeed } from "../../src/ops/test-users/seed.js";
import { tempProject } from "../../test/harness/project.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const ROOT = path.resolve(new URL("../..", import.meta.url).pathname);

const db = await startExampleDatabase();
const project = tempProject({ copyExample: true });
const config = await loadConfig(EXAMPLE, {});
const cost = config.auth.passwordHashCost;

/** A fresh copy of the example database (platform schema, migrations, seed.sql; no seeded data). */
async function freshCopy(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: withDatabase(db.adminUrl, "postgres") });
  await admin.connect();
  await admin.query(`create database ${name} template bench`);
  await admin.end();
  return withDatabase(db.adminUrl, name);
}

function cli(args: string[]): number {
  const started = performance.now();
  execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    stdio: "pipe",
  });
  return performance.now() - started;
}

const ms = (n: number) => `${Math.round(n)} ms`;
try {
  const started = performance.now();
  await bcrypt.hash("TestPass123!", await bcrypt.genSalt(cost, "a"));
  const hashMs = performance.now() - started;
  const startup = cli(["--version"]);
  console.log(
    `baseline: one bcrypt hash at cost ${cost}: ${ms(hashMs)}; CLI start-up (--version): ${ms(startup)}`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const opUrl = await freshCopy(`op_${round}`);
    const cliUrl = await freshCopy(`cli_${round}`);
    let t = performance.now();
    const result = await runUsersSeed(opUrl, config.testUsers, { hashCost: cost });
    const operation = performance.now() - t;
    t = performance.now();
    const again = await runUsersSeed(opUrl, config.testUsers, { hashCost: cost });
    const noop = performance.now() - t;
    const command = cli(["users", "seed", "--db-url", cliUrl, "--workdir", project.dir]);
    const commandNoop = cli(["users", "seed", "--db-url", cliUrl, "--workdir", project.dir]);
    console.log(
      `round ${round}: operation ${ms(operation)} (${result.rowsCreated} rows, ${result.users.length} users); ` +
        `second run ${ms(noop)} (${again.rowsCreated} rows); ` +
        `CLI command ${ms(command)}, CLI second run ${ms(commandNoop)}`,
    );
  }
} finally {
  project.remove();
  await db.stop();
}
