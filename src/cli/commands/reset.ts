import path from "node:path";
import { createInterface } from "node:readline/promises";
import { logOperation } from "../../ops/operations-log.js";
import { ResetFailedError, type ResetStep, resetTestData } from "../../ops/reset/reset.js";
import { parseCommandArgs } from "../args.js";
import { withDatabaseUrl } from "../database-target.js";
import { note, print, printJson } from "../output.js";
import { UsageError } from "../usage-error.js";
import { printSeedResult, SEED_OPTIONS, seedJson, seedRun } from "./users.js";

export const resetHelp = `Backs up the database, then in one transaction empties the data of the public schema
(schema kept, sequences restarted), removes the test users and seeds them and their data afresh
(docs/cli/reset.md).

Usage:
  groundwork reset [--target NAME | --db-url URL] [--yes] [--seed N] [--json] [--show-password]

Options:
  --yes             do not ask; needed when stdin is not a terminal (CI)
  --seed N          the data's seed (default: [test_users] seed, 1)
  --json            print the backup file, the users and the rows created as JSON
  --show-password   print the test password even when it is not the documented default
  --db-url URL      the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME     a database named in groundwork.toml [targets.NAME]
  --workdir DIR     the project folder (default: the current folder)

Exit codes: 0 reset, 1 cancelled or failed (the database is unchanged), 2 usage error (including
no --yes without a terminal).`;

const STEPS: Record<ResetStep, string> = {
  backup: "Backing up…",
  truncate: "Emptying the public schema…",
  users: "Removing the test users…",
  seed: "Seeding test users and data…",
};

/** `groundwork reset`. */
export async function resetCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...SEED_OPTIONS, yes: { type: "boolean" } });
  if (values.help) {
    print(resetHelp);
    return 0;
  }
  const { seed, config, dbUrl, target } = await seedRun(values);
  if (values.yes !== true) {
    if (!process.stdin.isTTY) {
      throw new UsageError(
        "reset deletes every row of the public schema: pass --yes to confirm when stdin is not a terminal",
      );
    }
    if (!(await confirmed(target))) {
      note("Cancelled; nothing was changed.");
      return 1;
    }
  }
  try {
    const result = await withDatabaseUrl(config, dbUrl, (url) =>
      resetTestData(url, config.testUsers, {
        backupsDir: path.join(config.projectDir, "backups"),
        hashCost: config.auth.passwordHashCost,
        seed,
        onStep: (step) => note(STEPS[step]),
      }),
    );
    logOperation(config.stateDir, {
      what: "reset",
      target,
      outcome: "ok",
      backupFile: result.backupFile,
      detail: `${result.truncated.length} table(s) emptied, ${result.seeded.rowsCreated} row(s) seeded`,
    });
    const show = values["show-password"] === true;
    if (values.json) {
      printJson({
        backupFile: result.backupFile,
        truncated: result.truncated,
        removedUsers: result.removedUsers,
        ...seedJson(result.seeded, config, show),
        durationMs: result.durationMs,
      });
      return 0;
    }
    print(
      `Reset in ${result.durationMs} ms: ${result.truncated.length} table(s) emptied, ` +
        `${result.removedUsers.length} test user(s) removed and seeded afresh.`,
    );
    print(`Backup: ${path.relative(process.cwd(), result.backupFile) || result.backupFile}`);
    print();
    printSeedResult(result.seeded, config, show);
    return 0;
  } catch (error) {
    const backupFile = error instanceof ResetFailedError ? error.backupFile : undefined;
    logOperation(config.stateDir, {
      what: "reset",
      target,
      outcome: "failed",
      ...(backupFile ? { backupFile } : {}),
      detail: (error as Error).message,
    });
    note(`Reset failed and was rolled back; the database is unchanged: ${(error as Error).message}`);
    if (backupFile) note(`Backup taken before the reset: ${backupFile}`);
    return 1;
  }
}

/** Asks for the typed word RESET on the terminal. */
async function confirmed(target: string): Promise<boolean> {
  note(`This deletes every row of the public schema of ${target} and recreates the test users.`);
  note("A backup is taken first; the schema is kept.");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question("Type RESET to confirm: ")).trim() === "RESET";
  } finally {
    prompt.close();
  }
}
