/**
 * `groundwork reset` on the example project with seed 001's dataset: the target is
 * <= 10 s (seed 001's script: < 3 min). Each round takes a fresh copy of the example database,
 * gives it the dataset (`users seed`), then resets it: once in-process (with the time of each
 * step), once through the CLI as a user runs it (child process from source through tsx). The
 * backup step is db backup's, reported apart.
 *
 *   npx tsx bench/ops/reset-bench.ts [rounds]
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { withDatabase } from "../../src/db/database-url.js";
import { type ResetStep, resetTestData } from "../../src/ops/reset/reset.js";
import { runUsersSeed } from "../../src/ops/test-users/seed.js";
import { tempProject } from "../../test/harness/project.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const ROOT = path.resolve(new URL("../..", import.meta.url).pathname);

const db = await startExampleDatabase();
const project = tempProject({ copyExample: true });
const config = await loadConfig(EXAMPLE, {});
const cost = config.auth.passwordHashCost;

/** A fresh copy of the example database, with seed 001's dataset seeded. */
async function seededCopy(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: withDatabase(db.adminUrl, "postgres") });
  await admin.connect();
  await admin.query(`create database ${name} template bench`);
  await admin.end();
  const url = withDatabase(db.adminUrl, name);
  await runUsersSeed(url, config.testUsers, { hashCost: cost, seed: 7 });
  return url;
}

const ms = (n: number) => `${Math.round(n)} ms`;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const opUrl = await seededCopy(`reset_op_${round}`);
    const cliUrl = await seededCopy(`reset_cli_${round}`);
    const steps: Partial<Record<ResetStep, number>> = {};
    const at: { step: ResetStep | null; since: number } = { step: null, since: performance.now() };
    const started = at.since;
    const result = await resetTestData(opUrl, config.testUsers, {
      backupsDir: path.join(project.dir, "backups"),
      hashCost: cost,
      onStep: (step) => {
        const now = performance.now();
        if (at.step) steps[at.step] = now - at.since;
        at.step = step;
        at.since = now;
      },
    });
    const operation = performance.now() - started;
    if (at.step) steps[at.step] = performance.now() - at.since;
    const t = performance.now();
    execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "src/cli/main.ts"),
        "reset",
        "--yes",
        "--db-url",
        cliUrl,
        "--workdir",
        project.dir,
      ],
      { cwd: ROOT, stdio: "pipe" },
    );
    const command = performance.now() - t;
    console.log(
      `round ${round}: operation ${ms(operation)} (backup ${ms(steps.backup ?? 0)}, truncate ${ms(steps.truncate ?? 0)}, ` +
        `remove users ${ms(steps.users ?? 0)}, seed + commit ${ms(steps.seed ?? 0)}; ` +
        `${result.truncated.length} tables emptied, ${result.seeded.rowsCreated} rows seeded); CLI command ${ms(command)}`,
    );
  }
} finally {
  project.remove();
  await db.stop();
}
