import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { type TempProject, tempProject } from "../harness/project.js";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

describe("CLI usage and errors", () => {
  it.each([
    [["bogus"], 'Unknown command "bogus"'],
    [["status", "-o", "xml"], '-o must be pretty, env or json (got "xml")'],
    [["status", "--nope"], "Unknown option '--nope'"],
    [["migration", "new"], "expected 1 argument(s), got 0"],
    [["migration", "fly"], 'unknown subcommand "migration fly"'],
    [["db", "wipe"], 'unknown subcommand "db wipe"'],
    [["storage", "trash", "empty"], 'expected "storage trash" followed by list, restore, purge'],
  ])("exits 2 for %j", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("prints help for every command with exit code 0", async () => {
    for (const command of ["start", "stop", "status", "migration", "db", "init", "storage"]) {
      const result = await runCli([command, "--help"]);
      expect(result.code, command).toBe(0);
      expect(result.stdout).toMatch(/Usage:\s+groundwork/);
    }
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Exit codes: 0 success, 1 failure, 2 usage error.");
  });

  it("exits 1 with the file, key and values for invalid configuration", async () => {
    const project = tempProject({ configToml: '[db]\nport = "five"\n' });
    projects.push(project);
    const result = await runCli(["start", "--workdir", project.dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Invalid configuration: supabase/config.toml: db.port: expected an integer >= 1 <= 65535, found the string "five"',
    );
  });

  it("init scaffolds a project that loads, and refuses to overwrite it", async () => {
    const project = tempProject({});
    projects.push(project);
    const result = await runCli(["init", "--workdir", project.dir]);
    expect(result.code).toBe(0);
    const toml = readFileSync(path.join(project.dir, "supabase", "config.toml"), "utf8");
    expect(toml).toContain("[api]");
    expect(readFileSync(path.join(project.dir, ".gitignore"), "utf8")).toContain(".groundwork/");
    const again = await runCli(["init", "--workdir", project.dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    const created = await runCli(["migration", "new", "create_things", "--workdir", project.dir]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /Created new migration at .*supabase\/migrations\/\d{14}_create_things\.sql/,
    );
  });
});
