#!/usr/bin/env node
import { ConfigError } from "../config/errors.js";
import { note } from "./output.js";
import { UsageError } from "./usage-error.js";

type Command = (argv: readonly string[]) => Promise<number>;

/**
 * Every command, as the Supabase CLI names them where it has one. Each is imported only when it
 * runs, so a command loads just the modules it needs (start-up time is a feature here).
 */
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  init: {
    load: async () => (await import("./commands/init.js")).initCommand,
    summary: "create a project folder (Supabase CLI layout)",
  },
  start: {
    load: async () => (await import("./commands/start.js")).startCommand,
    summary: "start PostgreSQL and the API",
  },
  stop: {
    load: async () => (await import("./commands/stop.js")).stopCommand,
    summary: "stop the local stack",
  },
  status: {
    load: async () => (await import("./commands/status.js")).statusCommand,
    summary: "show URLs and keys (-o env|json)",
  },
  gen: {
    load: async () => (await import("./commands/gen.js")).genCommand,
    summary: "signing-key | api-keys: generate signing keys and opaque API keys",
  },
  migration: {
    load: async () => (await import("./commands/migration.js")).migrationCommand,
    summary: "new | list | up",
  },
  db: {
    load: async () => (await import("./commands/db.js")).dbCommand,
    summary: "reset | lint | backup | restore | push",
  },
  functions: {
    load: async () => (await import("./commands/functions.js")).functionsCommand,
    summary: "new | serve: create edge functions, serve them with their logs",
  },
  guard: {
    load: async () => (await import("./commands/guard.js")).guardCommand,
    summary: "check the repository: protected paths, JSON, secrets, migrations",
  },
  test: {
    load: async () => (await import("./commands/test.js")).testCommand,
    summary: "rls: prove the row-level security access matrix",
  },
  verify: {
    load: async () => (await import("./commands/verify.js")).verifyCommand,
    summary: "compare row counts and checksums, local vs a target",
  },
  users: {
    load: async () => (await import("./commands/users.js")).usersCommand,
    summary: "seed: create role test users with realistic data",
  },
  sync: {
    load: async () => (await import("./commands/sync.js")).syncCommand,
    summary: "push: copy local data and test users to a target",
  },
  jobs: {
    load: async () => (await import("./commands/jobs.js")).jobsCommand,
    summary: "status | dead-letters | replay: webhook deliveries, cron jobs, queues",
  },
  storage: {
    load: async () => (await import("./commands/storage.js")).storageCommand,
    summary: "quarantine | trash: list, release, restore and purge stored files",
  },
  reset: {
    load: async () => (await import("./commands/reset.js")).resetCommand,
    summary: "back up, empty the data, seed fresh test users and data",
  },
};

const HELP = `groundwork — a Supabase-compatible backend for multi-tenant apps, in one process.

Usage: groundwork <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(12)}${summary}`)
  .join("\n")}

Run groundwork <command> --help for a command's options.
Exit codes: 0 success, 1 failure, 2 usage error.`;

/** Runs the CLI and returns its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write("groundwork 0.1.0\n");
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    note(`Unknown command "${name}". Run groundwork --help to see the commands.`);
    return 2;
  }
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    return reportError(name, error);
  }
}

/** Errors whose message is already a complete report (file, line, what to do). */
const REPORTED_AS_IS = new Set(["SqlFileError", "MigrationPlanError", "PortInUseError"]);

function reportError(command: string, error: unknown): number {
  if (error instanceof UsageError) {
    note(`groundwork ${command}: ${error.message}`);
    note(`Run groundwork ${command} --help for usage.`);
    return 2;
  }
  if (error instanceof ConfigError) {
    note(`Invalid configuration: ${error.message}`);
    return 1;
  }
  if (error instanceof Error && REPORTED_AS_IS.has(error.name)) {
    note(error.message);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  note(`groundwork ${command}: ${message}`);
  if (process.env.GROUNDWORK_DEBUG && error instanceof Error && error.stack) note(error.stack);
  return 1;
}

// Exit explicitly: a command's exit code must be the process's exit code.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(`groundwork: ${(error as Error).message}`);
    process.exit(1);
  },
);
