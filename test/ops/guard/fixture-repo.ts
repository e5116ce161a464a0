import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A throw-away git repository holding a Supabase project, for guard tests. */
export interface FixtureRepo {
  readonly dir: string;
  write(relative: string, content: string): void;
  git(...args: string[]): string;
  commit(message: string): void;
  remove(): void;
}

export const GUARD_TOML = `[guard]
protected_paths = ["reference_files/", "contracts/*.md"]
ignore = ["fixtures/**"]

[guard.json_schemas.tasks]
files = "tasks/*.json"
schema = "schemas/tasks.schema.json"
`;

export const TASKS_SCHEMA = JSON.stringify({
  type: "object",
  required: ["tasks"],
  properties: {
    tasks: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "status"],
        properties: { id: { type: "integer" }, status: { enum: ["pending", "done"] } },
      },
    },
  },
});

/**
 * A repository whose `main` holds a clean project (protected reference files, a schema-checked
 * tasks.json, one migration creating `contacts`), checked out on a `feature` branch.
 */
export function fixtureRepo(): FixtureRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-guard-"));
  const run = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const repo: FixtureRepo = {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    git: run,
    commit(message) {
      run("add", "-A");
      run("commit", "-q", "--no-verify", "-m", message);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  run("init", "-q", "-b", "main");
  run("config", "user.email", "test@example.com");
  run("config", "user.name", "Test");
  run("config", "commit.gpgsign", "false");
  repo.write("supabase/config.toml", 'project_id = "guard-fixture"\n');
  repo.write("groundwork.toml", GUARD_TOML);
  repo.write("reference_files/spec.md", "# The reference\n");
  repo.write("schemas/tasks.schema.json", TASKS_SCHEMA);
  repo.write("tasks/tasks.json", `{\n  "tasks": [\n    { "id": 1, "status": "pending" }\n  ]\n}\n`);
  repo.write(".env.example", "SUPABASE_SERVICE_ROLE_KEY=your-service-role-key\n");
  repo.write(
    "supabase/migrations/20250101000000_create_contacts.sql",
    "create table contacts (id bigint primary key, email text, org_id bigint);\n",
  );
  repo.commit("base");
  run("checkout", "-q", "-b", "feature");
  return repo;
}

/** A JWT-shaped token with the given payload (the signature is not checked by guard). */
export function fakeJwt(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(payload)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}
