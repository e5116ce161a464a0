import bcrypt from "bcrypt";
import { loadConfig } from "../../src/config/index.js";
import { runUsersSeed } from "../../src/ops/test-users/seed.js";
import { tempProject } from "../../test/harness/project.js";
import { timeCli } from "../cli-time.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const ROUNDS = Number(process.argv[2] ?? 3);

const db = await startExampleDatabase();
const project = tempProject({ copyExample: true });
const config = await loadConfig(EXAMPLE, {});
const cost = config.auth.passwordHashCost;

const ms = (n: number) => `${Math.round(n)} ms`;
try {
  const started = performance.now();
  await bcrypt.hash("TestPass123!", await bcrypt.genSalt(cost, "a"));
  const hashMs = performance.now() - started;
  const startup = await timeCli(["--version"]);
  console.log(
    `baseline: one bcrypt hash at cost ${cost}: ${ms(hashMs)}; CLI start-up (--version): ${ms(startup)}`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const opUrl = await db.copy(`op_${round}`);
    const cliUrl = await db.copy(`cli_${round}`);
    let t = performance.now();
    const result = await runUsersSeed(opUrl, config.testUsers, { hashCost: cost });
    const operation = performance.now() - t;
    t = performance.now();
    const again = await runUsersSeed(opUrl, config.testUsers, { hashCost: cost });
    const noop = performance.now() - t;
    const command = await timeCli(["users", "seed", "--db-url", cliUrl, "--workdir", project.dir]);
    const commandNoop = await timeCli(["users", "seed", "--db-url", cliUrl, "--workdir", project.dir]);
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
