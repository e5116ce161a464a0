import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../../src/db/database-url.js";
import { applyMigrations } from "../../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../../src/migrate/files.js";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import { applyPlatformSchema } from "../../../src/platform/apply.js";
import { runCli } from "../../harness/cli.js";
import { withClient } from "../../harness/client.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type TempProject, tempProject } from "../../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";

/** A school, not a CRM: owners are auth users directly, a lookup table nobody counts, a composite key. */
const SCHOOL_SCHEMA = `
create type public.grade_level as enum ('freshman', 'sophomore', 'junior', 'senior');
create table public.subjects (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references groundwork.tenants (id),
  code varchar(12) not null,
  title text not null check (length(title) <= 40),
  unique (tenant_id, code)
);
create table public.courses (
  id bigserial primary key,
  tenant_id uuid not null references groundwork.tenants (id),
  teacher_id uuid not null references auth.users (id),
  subject_id uuid not null references public.subjects (id),
  name text not null,
  capacity int not null check (capacity between 5 and 30),
  room char(4),
  starts_on date
);
create table public.students (
  id bigserial primary key,
  tenant_id uuid not null references groundwork.tenants (id),
  owner_id uuid not null references auth.users (id),
  first_name text not null,
  last_name text not null,
  email text not null unique,
  level public.grade_level not null,
  gpa numeric(3, 2) check (gpa >= 0 and gpa <= 4)
);
create table public.enrollments (
  tenant_id uuid not null references groundwork.tenants (id),
  owner_id uuid not null references auth.users (id),
  course_id bigint not null references public.courses (id),
  student_id bigint not null references public.students (id),
  score smallint check (score > 0 and score < 101),
  primary key (course_id, student_id)
);
select groundwork.protect('public.subjects', rights => '{"principal": "tenant", "teacher": {"read": "tenant"}}');
select groundwork.protect(t::regclass, rights => '{"principal": "tenant", "teacher": "own"}', owner_column => c)
from (values ('public.courses', 'teacher_id'), ('public.students', 'owner_id'), ('public.enrollments', 'owner_id')) v (t, c);
`;

const SCHOOL_CONFIG = `
[targets.school]
url_env = "SCHOOL_DB_URL"

[test_users]
tenant_name = "Springfield High"
parent_rows = 3

[test_users.users.principal]
email = "principal@school.test"
role = "principal"
counts = { courses = 4, students = 30, enrollments = 60 }

[test_users.users.teacher]
email = "teacher@school.test"
role = "teacher"
counts = { courses = 2, students = 10, enrollments = 15 }
`;

describe("users seed on a schema that is not the CRM, on a remote target", () => {
  let remote: RemoteCluster;
  let project: TempProject;
  let url: string;

  beforeAll(async () => {
    remote = await startRemoteCluster();
    project = tempProject({ configToml: 'project_id = "school"\n' });
    project.write("supabase/migrations/20250101000000_school.sql", SCHOOL_SCHEMA);
    project.write("groundwork.toml", SCHOOL_CONFIG);
    await withClient(remote.url, (client) => client.query("create database school"));
    url = withDatabase(remote.url, "school");
    await withClient(url, async (client) => {
      await applyPlatformSchema(client);
      await applyMigrations(
        client,
        readMigrationDirectory(path.join(project.dir, "supabase/migrations")).migrations,
      );
    });
  }, 120_000);
  afterAll(async () => {
    await remote?.stop();
    project?.remove();
  });

  const seed = (...extra: string[]) =>
    runCli(["users", "seed", "--target", "school", "--workdir", project.dir, ...extra], {
      SCHOOL_DB_URL: url,
    });

  it("fills the tables from the schema: counts, owners, FK parents nobody counted, constraints", async () => {
    const result = await seed("--json");
    expect(result.stderr).not.toMatch(/warning/);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.tenant.name).toBe("Springfield High");
    expect(json.users.map((u: { email: string }) => u.email)).toEqual([
      "principal@school.test",
      "teacher@school.test",
    ]);
    expect(json.users[0].password).toBeUndefined();
    const rows = await withClient(url, async (client) => {
      const { rows } = await client.query(
        `select u.email,
                (select count(*)::int from public.courses where teacher_id = u.id) as courses,
                (select count(*)::int from public.students where owner_id = u.id) as students,
                (select count(*)::int from public.enrollments where owner_id = u.id) as enrollments,
                (select count(*)::int from public.enrollments e join public.students s on s.id = e.student_id
                  where e.owner_id = u.id and s.owner_id <> u.id) as foreign_students
         from auth.users u order by u.email`,
      );
      const checks = await client.query(
        `select (select count(*)::int from public.subjects) as subjects,
                (select count(distinct level)::int from public.students) as levels,
                (select bool_and(capacity between 5 and 30) and count(distinct capacity) > 2 from public.courses) as capacities,
                (select bool_and(gpa between 0 and 4) from public.students) as gpas,
                (select bool_and(length(code) <= 12 and length(title) <= 40) from public.subjects) as lengths,
                (select bool_and(score between 1 and 100) from public.enrollments) as scores,
                (select count(distinct tenant_id)::int from public.enrollments) as tenants`,
      );
      return { users: rows, checks: checks.rows[0] };
    });
    expect(rows.users).toEqual([
      { email: "principal@school.test", courses: 4, students: 30, enrollments: 60, foreign_students: 0 },
      { email: "teacher@school.test", courses: 2, students: 10, enrollments: 15, foreign_students: 0 },
    ]);
    // subjects is needed by courses (NOT NULL) and not counted: parent_rows of it, for the tenant.
    expect(rows.checks).toEqual({
      subjects: 3,
      levels: 4,
      capacities: true,
      gpas: true,
      lengths: true,
      scores: true,
      tenants: 1,
    });
  });

  it("is a no-op the second time, by checksums; and logs both runs", async () => {
    const before = await withClient(url, databaseChecksums);
    const result = await seed();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/0 row\(s\) created/);
    expect(await withClient(url, databaseChecksums)).toEqual(before);
    const log = readFileSync(path.join(project.dir, ".groundwork/operations.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(log.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ what: "users seed", target: "school", outcome: "ok" }),
      expect.objectContaining({
        what: "users seed",
        target: "school",
        outcome: "ok",
        detail: expect.stringMatching(/0 row/),
      }),
    ]);
  });

  it("says what is missing on a bare database, writing nothing", async () => {
    await withClient(remote.url, (client) => client.query("create database bare"));
    const result = await runCli([
      "users",
      "seed",
      "--db-url",
      withDatabase(remote.url, "bare"),
      "--workdir",
      project.dir,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no auth\.users table: install the platform schema first/);
    expect(result.stderr).not.toMatch(/postgres:postgres@/);
  });
});

describe("users seed from the CLI on the example CRM", () => {
  let database: TestDatabase;
  let project: TempProject;

  beforeAll(async () => {
    database = await createTestDatabase("crm");
    project = tempProject({ copyExample: true });
  });
  afterAll(async () => {
    await database?.drop();
    project?.remove();
  });

  it("takes emails and the password from seed 001's environment variables, and masks that password", async () => {
    const password = "Another-Pass-42";
    const result = await runCli(["users", "seed", "--db-url", database.adminUrl, "--workdir", project.dir], {
      TEST_MANAGER_EMAIL: "boss@test.local",
      TEST_USER_PASSWORD: password,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /boss@test\.local\s+account_manager\s+Test tenant\s+\*\*\*\* \(--show-password\)/,
    );
    expect(result.stdout).not.toContain(password);
    expect(result.stdout).toMatch(/public\.contacts\s+100\s+60\s+40\s+200/);
    const { rows } = await database.query(
      `select email, id = extensions.uuid_generate_v5(extensions.uuid_ns_dns(), email) as v5,
              extensions.crypt($1, encrypted_password) = encrypted_password as password_ok
       from auth.users where email in ('admin@test.local', 'boss@test.local', 'manager@test.local') order by email`,
      [password],
    );
    // admin came from seed.sql with TestPass123!: its hash is replaced so the printed password works.
    // manager@test.local is no longer a configured test user and is left alone.
    expect(rows).toEqual([
      { email: "admin@test.local", v5: true, password_ok: true },
      { email: "boss@test.local", v5: true, password_ok: true },
      { email: "manager@test.local", v5: true, password_ok: false },
    ]);
    const shown = await runCli(
      ["users", "seed", "--db-url", database.adminUrl, "--workdir", project.dir, "--show-password"],
      {
        TEST_MANAGER_EMAIL: "boss@test.local",
        TEST_USER_PASSWORD: password,
      },
    );
    expect(shown.stdout).toContain(password);
    expect(shown.stdout).toMatch(/0 row\(s\) created/);
  });

  it("refuses a bad --seed and an unknown subcommand with exit 2", async () => {
    const bad = await runCli([
      "users",
      "seed",
      "--seed",
      "-3",
      "--db-url",
      database.adminUrl,
      "--workdir",
      project.dir,
    ]);
    expect(bad.code).toBe(2);
    const unknown = await runCli(["users", "plant", "--workdir", project.dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown subcommand "users plant"/);
  });
});
