import path from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { type ResetStep, resetTestData } from "../../src/ops/reset/reset.js";
import { runUsersSeed } from "../../src/ops/test-users/seed.js";
import { tempProject } from "../../test/harness/project.js";
import { timeCli } from "../cli-time.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const ROUNDS = Number(process.argv[2] ?? 3);

const db = await startExampleDatabase();
const project = tempProject({ copyExample: true });
const config = await loadConfig(EXAMPLE, {});
const cost = config.auth.passwordHashCost;

/** A fresh copy of the example database, with seed 001's dataset seeded. */
async function seededCopy(name: string): Promise<string> {
  const url = await db.copy(name);
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
    const command = await timeCli(["reset", "--yes", "--db-url", cliUrl, "--workdir", project.dir]);
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
