import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { CLIENT_ENV, SERVICE_ROLE_KEY } from "./env-fixture.js";

const MISTAKES = readFileSync(new URL("./fixtures/mistakes.sql", import.meta.url), "utf8");

/** The lints with ERROR findings in the mistakes fixture. */
const ERROR_LINTS = [
  "rls_disabled_in_public",
  "rls_disabled_api_writable",
  "sensitive_columns_exposed",
  "policy_exists_rls_disabled",
  "rls_references_user_metadata",
  "auth_users_exposed",
  "security_definer_view",
  "fkey_to_auth_unique",
  "tenant_write_policy_unchecked",
];

interface JsonReport {
  passed: boolean;
  level: string;
  failOn: string;
  summary: { ERROR: number; WARN: number; INFO: number; excluded: number; lints: number };
  findings: {
    id: string;
    lint: string;
    level: string;
    object: string;
    detail: string;
    why: string;
    fix: string;
  }[];
  excluded: string[];
  failures: unknown[];
}

// `groundwork db lint` as a user runs it: output, flags and exit codes.
describe("groundwork db lint (CLI)", () => {
  let database: TestDatabase;
  let project: TempProject;
  const lint = (...args: string[]) => runCli(["db", "lint", "--workdir", project.dir, ...args]);

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    await database.query(MISTAKES);
    project = tempProject({ copyExample: true });
    project.write("web/.env.local", CLIENT_ENV);
    project.write("groundwork.toml", '[lint]\nexclude = ["client_env_secret", "no_primary_key_public_*"]\n');
  });
  afterAll(async () => {
    await database.drop();
    project.remove();
  });

  it("prints findings grouped by level and exits 1 on ERROR findings", async () => {
    const result = await lint("--db-url", database.adminUrl);
    expect(result.code, result.stderr).toBe(1);
    const out = result.stdout;
    expect(out.indexOf("ERROR (")).toBeLessThan(out.indexOf("WARN ("));
    expect(out.indexOf("WARN (")).toBeLessThan(out.indexOf("INFO ("));
    expect(out).toContain("  rls_disabled_in_public [0013] RLS disabled on an exposed table");
    expect(out).toContain("    - public.open_notes: Table public.open_notes is served by the data API");
    expect(out).toContain("      id: rls_disabled_in_public_public_open_notes");
    expect(out).toMatch(
      /\d+ lints: \d+ error\(s\), \d+ warning\(s\), \d+ info, 4 excluded\. Failed: \d+ finding\(s\) at ERROR or above \(--fail-on ERROR\)\./,
    );
    expect(out).not.toContain("postgres:postgres@");
  });

  it("--json: findings with id, level, object, why and fix; --level filters what is shown", async () => {
    const result = await lint("--db-url", database.adminUrl, "--json", "--level", "warn");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report).toMatchObject({ passed: false, level: "WARN", failOn: "ERROR", failures: [] });
    expect(report.summary.ERROR).toBeGreaterThan(0);
    expect(report.summary.INFO).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.level !== "INFO")).toBe(true);
    expect(
      report.findings.find((f) => f.id === "duplicate_index_public_comments_comments_body_a_comments_body_b"),
    ).toMatchObject({
      lint: "duplicate_index",
      level: "WARN",
      object: "public.comments",
      why: expect.any(String),
      fix: expect.any(String),
    });
    expect(report.excluded).toContain("no_primary_key_public_events_log");
  });

  it("honours exclusions from groundwork.toml and --exclude, and --fail-on", async () => {
    const noErrors = ERROR_LINTS.flatMap((name) => ["--exclude", name]);
    const passing = await lint("--db-url", database.adminUrl, ...noErrors);
    expect(passing.code, passing.stdout).toBe(0);
    expect(passing.stdout).toContain("Passed (--fail-on ERROR).");
    expect(passing.stdout).not.toContain("ERROR (");
    const onWarn = await lint(
      "--db-url",
      database.adminUrl,
      ...noErrors,
      "--fail-on",
      "WARN",
      "--level",
      "ERROR",
    );
    expect(onWarn.code).toBe(1);
    expect(onWarn.stdout).toContain("WARN: ");
    expect(onWarn.stdout).toContain("not shown (--level ERROR)");
    const never = await lint("--db-url", database.adminUrl, "--fail-on", "none", "--json");
    expect(never.code).toBe(0);
    expect((JSON.parse(never.stdout) as JsonReport).passed).toBe(true);
  });

  it("masks secrets found in client-side env files", async () => {
    const bare = tempProject({ copyExample: true });
    try {
      bare.write(".env.local", CLIENT_ENV);
      const result = await runCli(["db", "lint", "--workdir", bare.dir, "--db-url", database.adminUrl]);
      const output = result.stdout + result.stderr;
      expect(output).toContain("client_env_secret_.env.local_VITE_SUPABASE_SERVICE_KEY");
      expect(output).toContain("postgresql://postgres:****@db.example.com:5432/postgres");
      expect(output).not.toContain("hunter2secret");
      expect(output).not.toContain("hunter3secret");
      expect(output).not.toContain(SERVICE_ROLE_KEY.slice(10));
    } finally {
      bare.remove();
    }
  });

  it("--target reads the database URL from the variable [targets.NAME] names", async () => {
    const target = tempProject({ copyExample: true });
    try {
      target.write("groundwork.toml", '[targets.staging]\nurl_env = "STAGING_DATABASE_URL"\n');
      const result = await runCli(["db", "lint", "--workdir", target.dir, "--target", "staging", "--json"], {
        STAGING_DATABASE_URL: database.adminUrl,
      });
      expect(result.code).toBe(1);
      expect((JSON.parse(result.stdout) as JsonReport).summary.ERROR).toBeGreaterThan(0);
      const unknown = await runCli(["db", "lint", "--workdir", target.dir, "--target", "prod"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown target "prod" (groundwork.toml defines staging)');
    } finally {
      target.remove();
    }
  });

  it.each([
    [["--level", "LOUD"], '--level must be INFO, WARN, ERROR (got "LOUD")'],
    [["--fail-on", "sometimes"], '--fail-on must be INFO, WARN, ERROR or none (got "sometimes")'],
    [["--db-url", "postgresql://x@h/db", "--target", "staging"], "--db-url and --target name two databases"],
  ])("exits 2 for %j", async (args, message) => {
    const result = await lint(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
