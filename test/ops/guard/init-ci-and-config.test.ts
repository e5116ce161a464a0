import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { loadConfig } from "../../../src/config/load.js";
import { runCli } from "../../harness/cli.js";
import { type FixtureRepo, fixtureRepo, GUARD_TOML } from "./fixture-repo.js";

const repos: FixtureRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

function newRepo(): FixtureRepo {
  const repo = fixtureRepo();
  repos.push(repo);
  return repo;
}

describe("groundwork init --ci github", () => {
  it("writes the workflow at the repository root for a project in a subfolder, and keeps it without --force", async () => {
    const repo = newRepo();
    const project = path.join(repo.dir, "backend");
    const first = await runCli(["init", "--ci", "github", "--workdir", project]);
    expect(first.code).toBe(0);
    expect(existsSync(path.join(project, "supabase", "config.toml"))).toBe(true);
    const file = path.join(repo.dir, ".github", "workflows", "groundwork.yml");
    const workflow = readFileSync(file, "utf8");
    expect(workflow).toContain("fetch-depth: 0");
    for (const step of ["guard --base", "db reset", "db lint", "test rls"]) {
      expect(workflow).toContain(`npx groundwork ${step}`);
    }
    expect(workflow).toContain("--workdir backend");
    // The rehearsal on the job's bare PostgreSQL service runs; the staging one is left to enable.
    expect(workflow).toContain("image: postgres:17");
    expect(workflow).toMatch(
      /\n {8}run: npx groundwork db push --db-url postgresql:\/\/postgres:postgres@localhost:5432\/postgres --dry-run --workdir backend\n/,
    );
    expect(workflow).toMatch(/# {3}run: npx groundwork db push --target staging --dry-run/);
    expect(workflow).not.toContain("\t");

    writeFileSync(file, "mine\n");
    const again = await runCli(["init", "--ci", "github", "--workdir", project]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(readFileSync(file, "utf8")).toBe("mine\n");
    expect((await runCli(["init", "--ci", "github", "--force", "--workdir", project])).code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("npx groundwork guard");
  });

  it("rejects another CI system as a usage error", async () => {
    const repo = newRepo();
    expect((await runCli(["init", "--ci", "gitlab", "--workdir", repo.dir])).code).toBe(2);
  });
});

describe("[guard] in groundwork.toml", () => {
  it("reads protected paths, ignore globs, base ref and schema mappings", async () => {
    const repo = newRepo();
    repo.write("groundwork.toml", GUARD_TOML.replace("[guard]\n", '[guard]\nbase_ref = "develop"\n'));
    const guard = (await loadConfig(repo.dir)).guard;
    expect(guard).toEqual({
      protectedPaths: ["reference_files/", "contracts/*.md"],
      baseRef: "develop",
      ignore: ["fixtures/**"],
      jsonSchemas: [{ name: "tasks", files: "tasks/*.json", schema: "schemas/tasks.schema.json" }],
      allowlist: { paths: [], regexes: [] },
    });
  });

  it("names the file and key of a schema mapping without a schema", async () => {
    const repo = newRepo();
    repo.write("groundwork.toml", '[guard.json_schemas.tasks]\nfiles = "tasks/*.json"\n');
    const error = await loadConfig(repo.dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("guard.json_schemas.tasks");
    expect((error as Error).message).toContain("groundwork.toml");
  });
});
