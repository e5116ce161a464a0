import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadGuardConfig } from "../../../src/config/index.js";
import { runGuard } from "../../../src/ops/guard/index.js";
import { type FixtureRepo, fixtureRepo, GUARD_TOML } from "./fixture-repo.js";

const repos: FixtureRepo[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
});

/** Fake secrets, assembled so this file itself holds none a scanner would report. */
const URL_WITH_PASSWORD = ["postgres://app:", "Hunter2Secret", "@db.example.com:5432/app"].join("");
const JWT_SECRET_LINE = ["JWT_SECRET=", "0123456789abcdefghijklmnopqrstuv"].join("");

async function findings(repo: FixtureRepo) {
  const config = (await loadConfig(repo.dir)).guard;
  return (await runGuard({ projectDir: repo.dir, config, base: null })).findings.filter((f) =>
    f.rule.startsWith("secret-"),
  );
}

describe("groundwork guard: allowing known fake secrets", () => {
  it("skips a line marked groundwork:allow or gitleaks:allow, and only that line", async () => {
    const repo = fixtureRepo();
    repos.push(repo);
    repo.write(
      "src/fixtures.ts",
      [
        `export const a = "${URL_WITH_PASSWORD}"; // groundwork:allow`,
        `export const b = "${URL_WITH_PASSWORD}"; // gitleaks:allow`,
        `export const c = "${URL_WITH_PASSWORD}";`,
        `# ${JWT_SECRET_LINE} groundwork:allow — Zoë's fake, 日本`,
        "",
      ].join("\n"),
    );
    repo.commit("fixtures");
    const found = await findings(repo);
    expect(found.map((f) => [f.rule, f.line])).toEqual([["secret-database-url", 3]]);
  });

  it("skips files matching [guard.allowlist] paths and secrets matching its regexes", async () => {
    const repo = fixtureRepo();
    repos.push(repo);
    repo.write(
      "groundwork.toml",
      `${GUARD_TOML}
[guard.allowlist]
paths = ["test/fixtures/**"]
regexes = ['@db\\.example\\.com:']
`,
    );
    repo.write("test/fixtures/env.txt", `${JWT_SECRET_LINE}\n`);
    repo.write("src/config.ts", `export const url = "${URL_WITH_PASSWORD}";\n`);
    repo.write(
      "src/other.ts",
      `export const url = "${URL_WITH_PASSWORD.replace("db.example.com", "prod.internal")}";\n`,
    );
    repo.write("src/secret.ts", `// ${JWT_SECRET_LINE}\n`);
    repo.commit("allowlist");
    const found = await findings(repo);
    expect(found.map((f) => [f.rule, f.file]).sort()).toEqual([
      ["secret-database-url", "src/other.ts"],
      ["secret-jwt-secret", "src/secret.ts"],
    ]);
  });

  it("reads [guard] from groundwork.toml in a repository without a Supabase project, and names a bad regex", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "guard-allowlist-"));
    try {
      writeFileSync(path.join(dir, "groundwork.toml"), '[guard.allowlist]\npaths = ["test/**"]\n');
      expect(loadGuardConfig(dir).allowlist).toEqual({ paths: ["test/**"], regexes: [] });
      writeFileSync(path.join(dir, "groundwork.toml"), "[guard.allowlist]\nregexes = ['(unclosed']\n");
      expect(() => loadGuardConfig(dir)).toThrow(ConfigError);
      expect(() => loadGuardConfig(dir)).toThrow(/guard\.allowlist\.regexes\[0\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
