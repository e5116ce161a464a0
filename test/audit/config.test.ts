import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { type TempProject, tempProject } from "../harness/project.js";

let project: TempProject | null = null;
afterEach(() => {
  project?.remove();
  project = null;
});

function withGroundworkToml(text: string): string {
  project = tempProject({ configToml: 'project_id = "t"\n' });
  project.write("groundwork.toml", text);
  return project.dir;
}

// groundwork.toml [audit] and [lint]: defaults, values, and errors that name file, key and value.
describe("[audit] and [lint] in groundwork.toml", () => {
  it("defaults: entries kept forever, nothing excluded", async () => {
    const config = await loadConfig(withGroundworkToml(""), {});
    expect(config.audit).toEqual({ retentionDays: null });
    expect(config.lint).toEqual({ exclude: [] });
  });

  it("reads retention_days and exclude", async () => {
    const config = await loadConfig(
      withGroundworkToml(
        '[audit]\nretention_days = 365\n\n[lint]\nexclude = ["rls_enabled_no_policy", "x_*"]\n',
      ),
      {},
    );
    expect(config.audit.retentionDays).toBe(365);
    expect(config.lint.exclude).toEqual(["rls_enabled_no_policy", "x_*"]);
  });

  it.each([
    [
      "[audit]\nretention_days = 0\n",
      "groundwork.toml: audit.retention_days: expected an integer >= 1, found the number 0",
    ],
    [
      '[audit]\nretention_days = "a year"\n',
      'audit.retention_days: expected an integer >= 1, found the string "a year"',
    ],
    [
      '[lint]\nexclude = "all"\n',
      'groundwork.toml: lint.exclude: expected an array of strings, found the string "all"',
    ],
    [
      '[lint]\nexclude = ["ok", ""]\n',
      "groundwork.toml: lint.exclude[1]: expected a lint name or finding id (wildcards: *), found an empty string",
    ],
  ])("%j is refused", async (toml, message) => {
    await expect(loadConfig(withGroundworkToml(toml), {})).rejects.toThrow(message);
  });
});
