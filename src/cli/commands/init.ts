import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseCommandArgs } from "../args.js";
import { print } from "../output.js";

export const initHelp = `Create a project folder in the Supabase CLI layout.

Usage: groundwork init [--workdir DIR] [--force]

Writes supabase/config.toml, supabase/migrations/, supabase/seed.sql and adds .groundwork/
to .gitignore. An existing supabase/config.toml is kept unless --force is given.`;

export async function initCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { force: { type: "boolean" } });
  if (values.help) {
    print(initHelp);
    return 0;
  }
  const dir = path.resolve(values.workdir ?? process.cwd());
  const configPath = path.join(dir, "supabase", "config.toml");
  if (existsSync(configPath) && !values.force) {
    process.stderr.write(`${configPath} already exists. Pass --force to overwrite it.\n`);
    return 1;
  }
  mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  writeFileSync(configPath, configTemplate(projectIdFor(dir)));
  const seed = path.join(dir, "supabase", "seed.sql");
  if (!existsSync(seed))
    writeFileSync(
      seed,
      "-- Data loaded after the migrations on the first start and on groundwork db reset.\n",
    );
  ignoreStateFolder(dir);
  print(`Initialised a project in ${dir}.`);
  print("Next: groundwork migration new create_tables, then groundwork start.");
  return 0;
}

function projectIdFor(dir: string): string {
  return (
    path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-") || "project"
  );
}

function ignoreStateFolder(dir: string): void {
  const gitignore = path.join(dir, ".gitignore");
  const current = existsSync(gitignore) ? readFileSync(gitignore, "utf8") : "";
  if (current.split("\n").some((line) => line.trim() === ".groundwork/" || line.trim() === ".groundwork"))
    return;
  appendFileSync(
    gitignore,
    `${current === "" || current.endsWith("\n") ? "" : "\n"}# Groundwork's local cluster and state\n.groundwork/\n`,
  );
}

function configTemplate(projectId: string): string {
  return `# Supabase CLI project configuration, read by Groundwork as it is.
project_id = "${projectId}"

[api]
port = 54321
schemas = ["public", "graphql_public"]
extra_search_path = ["public", "extensions"]
max_rows = 1000

[db]
port = 54322
major_version = 17

[db.seed]
enabled = true
sql_paths = ["./seed.sql"]

[auth]
site_url = "http://127.0.0.1:3000"
jwt_expiry = 3600
enable_signup = true
enable_refresh_token_rotation = true
refresh_token_reuse_interval = 10

[auth.email]
enable_signup = true
enable_confirmations = false

[storage]
file_size_limit = "50MiB"
`;
}
