import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { githubWorkflow } from "../../ops/guard/index.js";
import { parseCommandArgs } from "../args.js";
import { note, print } from "../output.js";
import { UsageError } from "../usage-error.js";

export const initHelp = `Create a project folder in the Supabase CLI layout.

Usage: groundwork init [--workdir DIR] [--force] [--ci github]

Writes supabase/config.toml, supabase/migrations/, supabase/seed.sql and adds .groundwork/
to .gitignore. An existing supabase/config.toml is kept unless --force is given.

--ci github writes .github/workflows/groundwork.yml (guard, db reset, db lint, test rls) at the
root of the git repository; in an existing project it writes only the workflow. An existing
workflow is kept unless --force is given.`;

export async function initCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { force: { type: "boolean" }, ci: { type: "string" } });
  if (values.help) {
    print(initHelp);
    return 0;
  }
  if (values.ci !== undefined && values.ci !== "github") {
    throw new UsageError(`--ci supports github only, got "${values.ci}"`);
  }
  const dir = path.resolve(values.workdir ?? process.cwd());
  const configPath = path.join(dir, "supabase", "config.toml");
  if (values.ci === "github" && existsSync(configPath)) return writeWorkflow(dir, values.force === true);
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
  if (values.ci === "github" && writeWorkflow(dir, values.force === true) !== 0) return 1;
  print("Next: groundwork migration new create_tables, then groundwork start.");
  return 0;
}

/** Writes the GitHub Actions workflow at the root of the repository holding `dir` (or in `dir`). */
function writeWorkflow(dir: string, force: boolean): number {
  const root = repositoryRootOf(dir);
  const file = path.join(root, ".github", "workflows", "groundwork.yml");
  if (existsSync(file) && !force) {
    note(`${file} already exists. Pass --force to overwrite it.`);
    return 1;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, githubWorkflow(path.relative(root, dir).split(path.sep).join("/")));
  print(`Wrote ${file}: guard, db reset, db lint and test rls on every pull request.`);
  return 0;
}

/** The nearest folder at or above `dir` holding `.git`; `dir` itself when there is none. */
function repositoryRootOf(dir: string): string {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, ".git"))) return current;
    if (path.dirname(current) === current) return dir;
  }
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
