import type { Config } from "../../config/index.js";
import { readRunningState, type StackState } from "../../stack/state-file.js";
import { parseCommandArgs } from "../args.js";
import { note, print, printJson } from "../output.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";
import { printBanner } from "./start.js";

export const statusHelp = `Show whether the local stack runs, with its URLs and keys.

Usage: groundwork status [-o pretty|env|json] [--workdir DIR]

  -o env    API_URL, DB_URL, JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY (the names of
            \`supabase status -o env\`), for \`eval "$(groundwork status -o env)"\`
  -o json   the same as a JSON object

Exits 1 when the stack is not running.`;

export async function statusCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { output: { type: "string", short: "o" } });
  if (values.help) {
    print(statusHelp);
    return 0;
  }
  const format = values.output ?? "pretty";
  if (!["pretty", "env", "json"].includes(format)) {
    throw new UsageError(`-o must be pretty, env or json (got ${JSON.stringify(format)})`);
  }
  const config = await loadProjectConfig(values.workdir);
  const state = readRunningState(config.stateDir);
  if (!state) {
    note("Groundwork is not running for this project. Start it with `groundwork start`.");
    return 1;
  }
  const variables = statusVariables(config, state);
  if (format === "env") {
    // Machine output meant to be sourced: values in full, as `supabase status -o env` prints them.
    for (const [name, value] of Object.entries(variables)) process.stdout.write(`${name}="${value}"\n`);
  } else if (format === "json") {
    printJson(variables);
  } else {
    printBanner(config, state);
  }
  return 0;
}

/** The variables `supabase status -o env` prints, under the same names. */
export function statusVariables(config: Config, state: StackState): Record<string, string> {
  const variables: Record<string, string> = {
    API_URL: state.apiUrl,
    REST_URL: `${state.apiUrl}/rest/v1`,
    AUTH_URL: `${state.apiUrl}/auth/v1`,
    DB_URL: state.dbUrl,
    JWT_SECRET: config.jwt.secret,
    ANON_KEY: config.jwt.anonKey,
    SERVICE_ROLE_KEY: config.jwt.serviceRoleKey,
  };
  if (state.studioUrl) variables.STUDIO_URL = state.studioUrl;
  return variables;
}
