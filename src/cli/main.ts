#!/usr/bin/env node
import { ConfigError } from "../config/index.js";
import { PortInUseError } from "../db/cluster.js";
import { MigrationPlanError } from "../migrate/apply.js";
import { SqlFileError } from "../migrate/sql-file-error.js";
import { dbCommand } from "./commands/db.js";
import { initCommand } from "./commands/init.js";
import { migrationCommand } from "./commands/migration.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { stopCommand } from "./commands/stop.js";
import { note } from "./output.js";
import { UsageError } from "./usage-error.js";

type Command = (argv: readonly string[]) => Promise<number>;

/** Every command, as the Supabase CLI names them where it has one. */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  init: { run: initCommand, summary: "create a project folder (Supabase CLI layout)" },
  start: { run: startCommand, summary: "start PostgreSQL and the API" },
  stop: { run: stopCommand, summary: "stop the local stack" },
  status: { run: statusCommand, summary: "show URLs and keys (-o env|json)" },
  migration: { run: migrationCommand, summary: "new | list | up" },
  db: { run: dbCommand, summary: "reset" },
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
    return await command.run(rest);
  } catch (error) {
    return reportError(name, error);
  }
}

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
  if (
    error instanceof SqlFileError ||
    error instanceof MigrationPlanError ||
    error instanceof PortInUseError
  ) {
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
