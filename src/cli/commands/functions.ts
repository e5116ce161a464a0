import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../config/index.js";
import { denoExecutable, isFunctionName } from "../../services/functions/index.js";
import { startStack } from "../../stack/stack.js";
import { readRunningState } from "../../stack/state-file.js";
import { parseCommandArgs } from "../args.js";
import { note, print } from "../output.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const functionsHelp = `Manage and serve the edge functions in supabase/functions.

Usage:
  groundwork functions new NAME      create supabase/functions/NAME/index.ts (and its config)
  groundwork functions serve [--no-verify-jwt] [--env-file PATH]
                                     run the stack in the foreground with every function's
                                     output on the console, one line per message with the
                                     function's name and the request id

Options:
  --no-verify-jwt   serve every function without verify_jwt
  --env-file PATH   the functions' env file (default: supabase/functions/.env)
  --workdir DIR     the project folder (default: the current folder)`;

export async function functionsCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "new":
      return functionsNew(rest);
    case "serve":
      return functionsServe(rest);
    case undefined:
    case "-h":
    case "--help":
      print(functionsHelp);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown subcommand "functions ${sub}" (expected new or serve)`);
  }
}

async function functionsNew(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {}, { min: 1, max: 1 });
  if (values.help) {
    print(functionsHelp);
    return 0;
  }
  const name = positionals[0] as string;
  if (!isFunctionName(name)) {
    throw new UsageError(
      `a function name starts with a letter and holds letters, digits, _ and - only (got ${JSON.stringify(name)})`,
    );
  }
  const config = await loadProjectConfig(values.workdir);
  const dir = path.join(config.projectDir, "supabase", "functions", name);
  if (existsSync(dir)) throw new Error(`${dir} already exists.`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "index.ts"), template(name, config));
  writeFileSync(path.join(dir, "deno.json"), `${JSON.stringify({ imports: {} }, null, 2)}\n`);
  const configFile = path.join(config.projectDir, "supabase", "config.toml");
  if (!new RegExp(`^\\[functions\\.${name}\\]`, "m").test(readFileSync(configFile, "utf8"))) {
    appendFileSync(
      configFile,
      `\n[functions.${name}]\nenabled = true\nverify_jwt = true\nimport_map = "./functions/${name}/deno.json"\n` +
        `entrypoint = "./functions/${name}/index.ts"\n`,
    );
  }
  print(`Created new Function at ${path.relative(process.cwd(), dir) || dir}`);
  return 0;
}

function template(name: string, config: Config): string {
  return `// Runs on Deno. Types of the runtime's globals (EdgeRuntime, Deno.serve):
import "jsr:@supabase/functions-js/edge-runtime.d.ts";

console.log("Hello from Functions!");

Deno.serve(async (req) => {
  const { name } = await req.json();
  const data = { message: \`Hello \${name}!\` };
  return new Response(JSON.stringify(data), { headers: { "Content-Type": "application/json" } });
});

/* To invoke locally:
  1. Run \`groundwork start\` (or \`groundwork functions serve\` to see the function's logs)
  2. Make an HTTP request:
  curl -i --request POST 'http://127.0.0.1:${config.api.port}/functions/v1/${name}' \\
    --header 'Authorization: Bearer ${config.jwt.anonKey}' \\
    --header 'Content-Type: application/json' \\
    --data '{"name":"Functions"}'
*/
`;
}

async function functionsServe(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    "no-verify-jwt": { type: "boolean" },
    "env-file": { type: "string" },
  });
  if (values.help) {
    print(functionsHelp);
    return 0;
  }
  const loaded = await loadProjectConfig(values.workdir);
  const running = readRunningState(loaded.stateDir);
  if (running) {
    note(`Groundwork is already running for this project (pid ${running.pid}) and serves its functions at`);
    note(
      `${running.apiUrl}/functions/v1/<name>; their logs go to its log. Stop it (groundwork stop) to serve here.`,
    );
    return 1;
  }
  const envFile = values["env-file"] ? path.resolve(values["env-file"]) : loaded.edgeRuntime.envFile;
  if (values["env-file"] && !existsSync(envFile)) throw new UsageError(`no such env file: ${envFile}`);
  const config: Config = Object.freeze({
    ...loaded,
    edgeRuntime: Object.freeze({
      ...loaded.edgeRuntime,
      envFile,
      noVerifyJwt: values["no-verify-jwt"] === true,
      consoleLogs: true,
    }),
  });
  mkdirSync(config.stateDir, { recursive: true });
  // The server's own JSON log would repeat each function line; the console lines are the log here.
  const stack = await startStack(config, { writeStateFile: true, log: note, logLevel: "fatal" });
  const stop = (signal: string) => {
    note(`\nReceived ${signal}, stopping…`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  const names = functionNames(config);
  print(`Serving functions on ${stack.apiUrl}/functions/v1/<function-name>`);
  for (const name of names) print(` - ${stack.apiUrl}/functions/v1/${name}`);
  print(`Using ${denoVersion()}`);
  return new Promise<number>(() => {});
}

function functionNames(config: Config): string[] {
  const dir = path.join(config.projectDir, "supabase", "functions");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isFunctionName(entry.name))
    .filter((entry) => config.functions[entry.name]?.enabled !== false)
    .map((entry) => entry.name)
    .sort();
}

function denoVersion(): string {
  try {
    return execFileSync(denoExecutable(), ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "deno";
  } catch {
    return "deno (not found: run npm install)";
  }
}
