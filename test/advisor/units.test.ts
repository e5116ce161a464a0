import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findEnvFiles, parseEnvFile, secretKind } from "../../src/ops/advisor/env-files.js";
import { matchesExclusion } from "../../src/ops/advisor/exclusions.js";
import { unwrappedCalls } from "../../src/ops/advisor/expression.js";
import { LINTS } from "../../src/ops/advisor/lints/index.js";
import { tempProject } from "../harness/project.js";
import { SERVICE_ROLE_KEY } from "./env-fixture.js";

describe("policy expressions: calls evaluated per row", () => {
  it.each([
    ["(owner = auth.uid())", ["auth.uid()"]],
    ["(owner = ( SELECT auth.uid() AS uid))", []],
    [
      "(tenant_id = ( SELECT (((auth.jwt() -> 'app_metadata'::text) ->> 'tenant_id'::text))::uuid AS uuid))",
      [],
    ],
    ["((a = ( SELECT auth.uid() AS uid)) AND (b = auth.jwt()))", ["auth.jwt()"]],
    ["(current_setting('request.jwt.claims'::text, true) = 'auth.uid()'::text)", ["current_setting()"]],
    ["(x = ( SELECT current_setting('a'::text) AS current_setting))", []],
    ["(tenant_id IN ( SELECT private.user_tenant_ids() AS user_tenant_ids))", []],
    ["(note = 'it''s (auth.uid()'::text)", []],
  ])("%s", (expression, calls) => {
    expect(unwrappedCalls(expression)).toEqual(calls);
  });
});

describe("env files", () => {
  it("parses KEY=value lines, export, quotes and trailing comments", () => {
    const entries = parseEnvFile(".env", "A=1\nexport B=\"two words\" # c\n# C=3\nD='x#y'\nE=plain # note\n");
    expect(entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ["A", "1", 1],
      ["B", "two words", 2],
      ["D", "x#y", 4],
      ["E", "plain", 5],
    ]);
  });

  it("recognises secrets by content first, then by name", () => {
    expect(secretKind("VITE_KEY", SERVICE_ROLE_KEY, "s3cret")).toBe("service_role key");
    expect(secretKind("VITE_X", "sb_secret_abc", "s3cret")).toBe("service_role key");
    expect(secretKind("VITE_X", "s3cret", "s3cret")).toBe("JWT secret");
    expect(secretKind("VITE_X", "postgres://u:pw@h/db", "s3cret")).toBe("database URL with a password"); // groundwork:allow (a fake for the test)
    expect(secretKind("VITE_X", "postgres://u@h/db", "s3cret")).toBeNull();
    expect(secretKind("VITE_DB_PASSWORD", "x", "s3cret")).toBe("database password");
    expect(secretKind("VITE_SERVICE_ROLE_KEY", "x", "s3cret")).toBe("service_role key");
    expect(secretKind("VITE_DB_PASSWORD", "", "s3cret")).toBeNull();
    expect(secretKind("VITE_URL", "http://127.0.0.1:54321", "s3cret")).toBeNull();
  });

  it("finds .env files up to three folders down, not in node_modules or supabase/", () => {
    const project = tempProject({});
    try {
      for (const file of [
        ".env",
        ".env.local",
        "apps/web/.env.production",
        "node_modules/x/.env",
        "supabase/functions/.env",
        "a/b/c/d/.env",
        "env.txt",
      ]) {
        project.write(file, "A=1\n");
      }
      expect(findEnvFiles(project.dir)).toEqual([".env", ".env.local", "apps/web/.env.production"]);
    } finally {
      project.remove();
    }
  });
});

describe("exclusions", () => {
  const finding = { lint: "duplicate_index", id: "duplicate_index_public_t_a_b" };
  it.each([
    [["duplicate_index"], true],
    [["duplicate_index_public_t_a_b"], true],
    [["duplicate_index_public_*"], true],
    [["*_t_a_b"], true],
    [["duplicate"], false],
    [["duplicate_index_public_t"], false],
    [[], false],
  ])("%j -> %s", (patterns, excluded) => {
    expect(matchesExclusion(finding, patterns)).toBe(excluded);
  });
});

describe("the lint catalogue", () => {
  it("has unique names, and docs/cli/db-lint.md documents every lint with its level", () => {
    const names = LINTS.map((lint) => lint.name);
    expect(new Set(names).size).toBe(names.length);
    const doc = readFileSync(new URL("../../docs/cli/db-lint.md", import.meta.url), "utf8");
    const missing = LINTS.filter((lint) => !doc.includes(`#### \`${lint.name}\` — ${lint.level}`));
    expect(missing.map((lint) => lint.name)).toEqual([]);
  });
});
