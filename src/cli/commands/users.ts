import type { Config } from "../../config/index.js";
import { logOperation } from "../../ops/operations-log.js";
import { runUsersSeed } from "../../ops/test-users/seed.js";
import type { UsersSeedResult } from "../../ops/test-users/types.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { formatTable, note, print, printJson } from "../output.js";
import { withProgress } from "../progress.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const usersHelp = `Test users.

Usage:
  groundwork users seed [options]   create role test users with realistic data (users seed --help)`;

export const usersSeedHelp = `Creates the role test users, their memberships in the test tenant and realistic data
generated from the schema; a second run changes nothing (docs/cli/users-seed.md).

Usage:
  groundwork users seed [--target NAME | --db-url URL] [--seed N] [--json] [--show-password]

Options:
  --seed N          the data's seed: the same number gives the same rows (default: [test_users] seed, 1)
  --json            print the users and the rows created as JSON
  --show-password   print the test password even when it is not the documented default
  --db-url URL      the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME     a database named in groundwork.toml [targets.NAME]
  --workdir DIR     the project folder (default: the current folder)

Users, roles, counts and the tenant come from groundwork.toml [test_users]; TEST_ADMIN_EMAIL,
TEST_DIRECTOR_EMAIL, TEST_MANAGER_EMAIL (TEST_<KEY>_EMAIL) and TEST_USER_PASSWORD override them.

Exit codes: 0 seeded, 1 failed (nothing was written), 2 usage error.`;

/** `groundwork users <sub>`. */
export async function usersCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    print(usersHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "seed") throw new UsageError(`unknown subcommand "users ${sub}" (expected seed)`);
  return usersSeedCommand(rest);
}

/** The options `users seed` and `reset` share: the seed, the output, and the database. */
export const SEED_OPTIONS = {
  seed: { type: "string" },
  json: { type: "boolean" },
  "show-password": { type: "boolean" },
  "db-url": { type: "string" },
  target: { type: "string" },
} as const;

/** What a seeding command acts on, from its parsed {@link SEED_OPTIONS}. */
export async function seedRun(values: {
  readonly seed?: string;
  readonly workdir?: string;
  readonly "db-url"?: string;
  readonly target?: string;
}): Promise<{ seed: number | undefined; config: Config; dbUrl: string | undefined; target: string }> {
  const seed = values.seed === undefined ? undefined : parseSeed(values.seed);
  const config = await loadProjectConfig(values.workdir);
  const dbUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  return { seed, config, dbUrl, target: values.target ?? dbUrl ?? "local" };
}

async function usersSeedCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SEED_OPTIONS);
  if (values.help) {
    print(usersSeedHelp);
    return 0;
  }
  const { seed, config, dbUrl, target } = await seedRun(values);
  try {
    const result = await withDatabaseUrl(config, dbUrl, (url) =>
      withProgress("Seeding test users", () =>
        runUsersSeed(url, config.testUsers, { hashCost: config.auth.passwordHashCost, seed }),
      ),
    );
    logOperation(config.stateDir, {
      what: "users seed",
      target,
      outcome: "ok",
      detail: `${result.users.length} user(s), ${result.rowsCreated} row(s) created, seed ${result.seed}`,
    });
    for (const warning of result.warnings) note(`warning: ${warning}`);
    if (values.json) printJson(seedJson(result, config, values["show-password"] === true));
    else printSeedResult(result, config, values["show-password"] === true);
    return 0;
  } catch (error) {
    logOperation(config.stateDir, {
      what: "users seed",
      target,
      outcome: "failed",
      detail: (error as Error).message,
    });
    note(`Seeding failed, nothing was written: ${(error as Error).message}`);
    return 1;
  }
}

/** `--seed N`: a non-negative 32-bit integer. */
export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 31 - 1) {
    throw new UsageError(`--seed takes a whole number from 0 to ${2 ** 31 - 1}, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * The password as printed: the documented default in clear (it is public, and seed 001 prints
 * it), any other only with --show-password, since a configured password may be reused elsewhere.
 */
export function shownPassword(config: Config, show: boolean): string {
  if (show) return config.testUsers.password;
  return config.testUsers.defaultPassword
    ? `${config.testUsers.password} (default)`
    : "**** (--show-password)";
}

/** The login table and the rows created per table, for a terminal. */
export function printSeedResult(result: UsersSeedResult, config: Config, showPassword: boolean): void {
  const tenant = result.tenant ? result.tenant.name : "(no tenancy kit)";
  const password = shownPassword(config, showPassword);
  print(
    `${result.users.length} test user(s) ready in ${result.durationMs} ms (seed ${result.seed}): ` +
      `${result.rowsCreated} row(s) created.`,
  );
  print();
  for (const line of formatTable(
    ["email", "role", "tenant", "password", "user"],
    result.users.map((user) => [user.email, user.role, tenant, password, user.auth]),
  )) {
    print(line);
  }
  if (result.tables.length === 0) return;
  print();
  const keys = result.users.map((user) => user.key);
  for (const line of formatTable(
    ["table", ...keys, "created"],
    result.tables.map((table) => [
      table.table,
      ...keys.map((key) => (table.perUser[key] === undefined ? "-" : String(table.perUser[key]))),
      String(table.created),
    ]),
  )) {
    print(line);
  }
}

/** The result for `--json`; the password only with --show-password. */
export function seedJson(result: UsersSeedResult, config: Config, showPassword: boolean) {
  return {
    tenant: result.tenant,
    users: result.users.map((user) => ({
      email: user.email,
      id: user.id,
      role: user.role,
      auth: user.auth,
      ...(showPassword ? { password: config.testUsers.password } : {}),
    })),
    passwordIsDefault: config.testUsers.defaultPassword,
    tables: result.tables,
    rowsCreated: result.rowsCreated,
    seed: result.seed,
    warnings: result.warnings,
    durationMs: result.durationMs,
  };
}
