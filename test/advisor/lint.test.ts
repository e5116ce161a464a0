import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { LINTS } from "../../src/ops/advisor/lints/index.js";
import { type LintReport, runLints } from "../../src/ops/advisor/run.js";
import type { Finding, LintDefinition } from "../../src/ops/advisor/types.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";
import { CLIENT_ENV, SERVICE_ROLE_KEY } from "./env-fixture.js";

const MISTAKES = readFileSync(new URL("./fixtures/mistakes.sql", import.meta.url), "utf8");

/** Every finding the mistakes fixture must produce: [lint, level, finding id]. */
const EXPECTED: readonly [string, Finding["level"], string][] = [
  ["rls_disabled_in_public", "ERROR", "rls_disabled_in_public_public_open_notes"],
  ["rls_disabled_in_public", "ERROR", "rls_disabled_in_public_public_api_keys"],
  ["rls_disabled_api_writable", "ERROR", "rls_disabled_api_writable_public_open_notes"],
  ["sensitive_columns_exposed", "ERROR", "sensitive_columns_exposed_public_api_keys"],
  ["policy_exists_rls_disabled", "ERROR", "policy_exists_rls_disabled_public_forgotten"],
  ["rls_enabled_no_policy", "INFO", "rls_enabled_no_policy_public_locked"],
  ["rls_references_user_metadata", "ERROR", "rls_references_user_metadata_public_docs_admins by metadata"],
  ["auth_rls_initplan", "WARN", "auth_rls_init_plan_public_docs_owners read per row"],
  ["multiple_permissive_policies", "WARN", "multiple_permissive_policies_public_docs_authenticated_SELECT"],
  ["rls_policy_always_true", "WARN", "rls_policy_always_true_public_docs_anyone edits"],
  ["rls_policy_always_true", "WARN", "rls_policy_always_true_public_docs_insert without check"],
  ["auth_users_exposed", "ERROR", "auth_users_exposed_public_user_emails"],
  ["security_definer_view", "ERROR", "security_definer_view_public_doc_titles"],
  ["materialized_view_in_api", "WARN", "materialized_view_in_api_public_doc_stats"],
  ["foreign_table_in_api", "WARN", "foreign_table_in_api_public_imported_lines"],
  [
    "function_search_path_mutable",
    "WARN",
    "function_search_path_mutable_public_add_numbers_a integer, b integer",
  ],
  [
    "anon_security_definer_function_executable",
    "WARN",
    "anon_security_definer_function_executable_public_reset_everything_",
  ],
  [
    "authenticated_security_definer_function_executable",
    "WARN",
    "authenticated_security_definer_function_executable_public_reset_everything_",
  ],
  ["unindexed_foreign_keys", "INFO", "unindexed_foreign_keys_public_comments_comments_doc_id_fkey"],
  ["duplicate_index", "WARN", "duplicate_index_public_comments_comments_body_a_comments_body_b"],
  ["no_primary_key", "INFO", "no_primary_key_public_events_log"],
  ["unsupported_reg_types", "WARN", "unsupported_reg_types_public_events_log_handler"],
  ["fkey_to_auth_unique", "ERROR", "fkey_to_auth_unique_public_phone_book_phone_book_phone_fkey"],
  ["extension_in_public", "WARN", "extension_in_public_citext"],
  ["extension_versions_outdated", "WARN", "extension_versions_outdated_citext_1.4"],
  ["tenant_id_unindexed", "WARN", "tenant_id_unindexed_public_projects"],
  ["tenant_write_policy_unchecked", "ERROR", "tenant_write_policy_unchecked_public_projects_members insert"],
  ["tenant_policy_unscoped", "WARN", "tenant_policy_unscoped_public_projects_managers read"],
  ["policy_column_unindexed", "WARN", "policy_column_unindexed_public_projects_manager_id"],
  ["api_grant_without_policy", "INFO", "api_grant_without_policy_public_docs_anon"],
  ["policy_without_grant", "INFO", "policy_without_grant_public_projects_members delete_authenticated"],
  ["public_bucket_allows_listing", "WARN", "public_bucket_allows_listing_avatars"],
  ["client_env_secret", "ERROR", "client_env_secret_web/.env.local_VITE_SUPABASE_SERVICE_KEY"],
  ["client_env_secret", "ERROR", "client_env_secret_web/.env.local_NEXT_PUBLIC_DATABASE_URL"],
  ["client_env_secret", "ERROR", "client_env_secret_web/.env.local_EXPO_PUBLIC_DB_PASSWORD"],
  ["auth_allow_anonymous_sign_ins", "INFO", "auth_allow_anonymous_sign_ins"],
];

describe("db lint on a schema seeded with known mistakes", () => {
  let database: TestDatabase;
  let project: TempProject;
  let config: Config;
  let report: LintReport;

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    await database.query(MISTAKES);
    project = tempProject({ copyExample: true });
    project.write("web/.env.local", CLIENT_ENV);
    const toml = readFileSync(`${project.dir}/supabase/config.toml`, "utf8");
    project.write(
      "supabase/config.toml",
      toml.replace("enable_anonymous_sign_ins = false", "enable_anonymous_sign_ins = true"),
    );
    config = await loadConfig(project.dir, {});
    report = await runLints(database.adminUrl, config);
  });
  afterAll(async () => {
    await database.drop();
    project.remove();
  });

  it("runs every lint without a failure", () => {
    expect(report.failures).toEqual([]);
    expect(report.lintsRun).toBe(LINTS.length);
  });

  it.each(EXPECTED)("%s: %s %s", (lint, level, id) => {
    const finding = report.findings.find((f) => f.id === id);
    expect(finding, `no finding ${id}; found: ${report.findings.map((f) => f.id).join(" | ")}`).toBeDefined();
    expect(finding?.lint).toBe(lint);
    expect(finding?.level).toBe(level);
    expect(finding?.why.length).toBeGreaterThan(20);
    expect(finding?.fix.length).toBeGreaterThan(10);
  });

  it("covers every lint the registry holds", () => {
    const covered = new Set(EXPECTED.map(([lint]) => lint));
    expect(LINTS.map((lint) => lint.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it("names the problem of each deliberately broken policy", () => {
    const detail = (id: string) => report.findings.find((f) => f.id === id)?.detail;
    expect(detail("rls_policy_always_true_public_docs_insert without check")).toContain("has no WITH CHECK");
    expect(detail("rls_policy_always_true_public_docs_anyone edits")).toContain(
      "USING and WITH CHECK are always true",
    );
    expect(detail("rls_references_user_metadata_public_docs_admins by metadata")).toContain(
      "reads user_metadata",
    );
    expect(detail("rls_disabled_in_public_public_open_notes")).toContain("row-level security is off");
    expect(detail("tenant_write_policy_unchecked_public_projects_members insert")).toContain(
      "never looks at tenant_id: rows can be written into another tenant",
    );
    expect(detail("auth_rls_init_plan_public_docs_owners read per row")).toContain(
      "calls auth.uid() for every row",
    );
  });

  it("does not flag calls wrapped in a subquery, however deep in it", () => {
    // "members delete" uses (select (auth.jwt() -> ...)::uuid): wrapped, though not as "select auth.".
    expect(report.findings.some((f) => f.id === "auth_rls_init_plan_public_projects_members delete")).toBe(
      false,
    );
  });

  it("masks the secrets of client-side env files", () => {
    const text = JSON.stringify(report.findings);
    expect(text).not.toContain("hunter2secret");
    expect(text).not.toContain("hunter3secret");
    expect(text).not.toContain(SERVICE_ROLE_KEY.slice(10));
    expect(text).toContain("postgresql://postgres:****@db.example.com:5432/postgres");
    // The anon key and the API URL belong in the client: not findings.
    expect(report.findings.some((f) => f.id.endsWith("VITE_SUPABASE_ANON_KEY"))).toBe(false);
    expect(report.findings.some((f) => f.id.endsWith("_SERVICE_ROLE_KEY"))).toBe(false);
  });

  it("leaves out excluded lints and findings, by name, id or wildcard", async () => {
    const excluded = await runLints(database.adminUrl, config, {
      exclude: ["rls_disabled_in_public", "duplicate_index_public_comments_*", "client_env_secret_web/*"],
    });
    const ids = excluded.findings.map((f) => f.id);
    expect(ids.some((id) => id.startsWith("rls_disabled_in_public_"))).toBe(false);
    expect(ids.some((id) => id.startsWith("duplicate_index_"))).toBe(false);
    expect(ids.some((id) => id.startsWith("client_env_secret_"))).toBe(false);
    expect(excluded.excluded.map((f) => f.id)).toContain("rls_disabled_in_public_public_open_notes");
    expect(excluded.findings.length + excluded.excluded.length).toBe(report.findings.length);
  });

  it("reports a lint that cannot run and still runs the others", async () => {
    const broken: LintDefinition = {
      name: "broken_lint",
      code: "GW",
      level: "WARN",
      categories: ["SECURITY"],
      title: "broken",
      why: "a test of the runner",
      fix: "none",
      check: { sql: "select * from no_such_table" },
    };
    const result = await runLints(database.adminUrl, config, { lints: [broken, ...LINTS.slice(0, 2)] });
    expect(result.failures).toEqual([
      { lint: "broken_lint", message: expect.stringContaining("no_such_table") },
    ]);
    expect(result.findings.some((f) => f.lint === LINTS[0]?.name)).toBe(true);
  });
});

describe("db lint on clean databases", () => {
  it("finds nothing in a database with only the platform schema", async () => {
    const database = await createTestDatabase("platform");
    try {
      const report = await runLints(database.adminUrl, await loadConfig(EXAMPLE_PROJECT, {}));
      expect(report.failures).toEqual([]);
      expect(report.findings.map((f) => f.id)).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it("finds no ERROR in the example project", async () => {
    const database = await createTestDatabase("crm");
    try {
      const report = await runLints(database.adminUrl, await loadConfig(EXAMPLE_PROJECT, {}));
      expect(report.failures).toEqual([]);
      const errors = report.findings.filter((f) => f.level === "ERROR").map((f) => f.id);
      expect(errors).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it("names each mistake made to the example's own policies", async () => {
    const database = await createTestDatabase("crm");
    try {
      await database.query(`
        alter table public.tasks disable row level security;
        create policy "quick insert" on public.notes for insert to authenticated;
        create policy "fix anything" on public.contacts for update to authenticated using (true);
        create policy "metadata admins" on public.products for delete to authenticated
          using ((select auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');`);
      const report = await runLints(database.adminUrl, await loadConfig(EXAMPLE_PROJECT, {}));
      const serious = report.findings
        .filter((f) => f.level !== "INFO")
        .map((f) => `${f.level} ${f.id}: ${f.detail}`);
      expect(serious).toEqual([
        expect.stringMatching(/^ERROR rls_disabled_in_public_public_tasks: .*row-level security is off/),
        expect.stringMatching(/^ERROR policy_exists_rls_disabled_public_tasks: .*they are ignored/),
        expect.stringMatching(
          /^ERROR rls_references_user_metadata_public_products_metadata admins: .*reads user_metadata/,
        ),
        expect.stringMatching(
          /^ERROR tenant_write_policy_unchecked_public_contacts_fix anything: .*never looks at tenant_id/,
        ),
        expect.stringMatching(
          /^ERROR tenant_write_policy_unchecked_public_notes_quick insert: .*has no WITH CHECK/,
        ),
        expect.stringMatching(/^ERROR rls_disabled_api_writable_public_tasks: /),
        expect.stringMatching(
          /^WARN rls_policy_always_true_public_contacts_fix anything: .*USING and WITH CHECK are always true/,
        ),
        expect.stringMatching(
          /^WARN rls_policy_always_true_public_notes_quick insert: .*it has no WITH CHECK/,
        ),
        expect.stringMatching(/^WARN tenant_policy_unscoped_public_contacts_fix anything: /),
        expect.stringMatching(/^WARN tenant_policy_unscoped_public_products_metadata admins: /),
        expect.stringMatching(/^WARN multiple_permissive_policies_public_contacts_authenticated_UPDATE: /),
        expect.stringMatching(/^WARN multiple_permissive_policies_public_notes_authenticated_INSERT: /),
        expect.stringMatching(/^WARN multiple_permissive_policies_public_products_authenticated_DELETE: /),
      ]);
    } finally {
      await database.drop();
    }
  });
});
