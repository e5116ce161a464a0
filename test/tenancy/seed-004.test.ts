import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { runRlsMatrix } from "../../src/ops/rls-matrix/index.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

// Seed 004's model, expressed with the same kit: organisations are tenants; students reach their
// own rows, teachers every row of their organisation (deleting only their own), admins
// everything in it. Plus a table with hand-written policies, proven through a matrix file.
const SCHEMA = `
  create table public.courses (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references groundwork.tenants (id),
    title text not null check (length(title) > 0),
    level text not null check (level in ('intro', 'advanced'))
  );
  create table public.agent_executions (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references groundwork.tenants (id),
    user_id uuid not null references auth.users (id),
    task_id uuid not null default gen_random_uuid(),
    status text not null default 'pending' check (status in ('pending', 'running', 'done', 'cancelled')),
    created_at timestamptz not null default now()
  );
  create table public.files (
    id bigint generated always as identity primary key,
    organization_id uuid not null references groundwork.tenants (id),
    user_id uuid not null references auth.users (id),
    course_id uuid references public.courses (id),
    name text not null,
    size_bytes bigint not null check (size_bytes >= 0)
  );
  select groundwork.protect(t::regclass,
    rights => '{"admin": "tenant", "teacher": {"read": "tenant", "write": "tenant", "delete": "own"}, "student": "own"}',
    tenant_column => 'organization_id',
    owner_column => 'user_id')
  from unnest(array['public.agent_executions', 'public.files']) as t;

  -- Hand-written: everyone in the organisation reads courses, staff write them, admins delete.
  alter table public.courses enable row level security;
  create policy "members read courses" on public.courses for select to authenticated
    using (organization_id = (select groundwork.active_tenant_id()));
  create policy "staff add courses" on public.courses for insert to authenticated
    with check (organization_id = (select groundwork.active_tenant_for('{admin,teacher}')));
  create policy "staff edit courses" on public.courses for update to authenticated
    using (organization_id = (select groundwork.active_tenant_for('{admin,teacher}')))
    with check (organization_id = (select groundwork.active_tenant_for('{admin,teacher}')));
  create policy "admins delete courses" on public.courses for delete to authenticated
    using (organization_id = (select groundwork.active_tenant_for('{admin}')));
`;

const MATRIX = {
  tables: {
    "public.courses": {
      tenant_column: "organization_id",
      rights: {
        admin: "tenant",
        teacher: { read: "tenant", insert: "tenant", update: "tenant" },
        student: { read: "tenant" },
      },
    },
  },
};

describe("seed 004's roles (admin / teacher / student) with the tenancy kit", () => {
  let database: TestDatabase;
  let config: Config;
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-004-"));
  const matrixFile = path.join(dir, "rls-matrix.json");

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    await database.query(SCHEMA);
    config = await loadConfig(EXAMPLE_PROJECT, {});
    writeFileSync(matrixFile, JSON.stringify(MATRIX, null, 2));
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes the full matrix: declared tables and the hand-written one from the matrix file", async () => {
    const result = await runRlsMatrix(database.adminUrl, { config, matrixFile });
    expect(result.tables.map((t) => [t.table, t.source])).toEqual([
      ["public.agent_executions", "declaration"],
      ["public.courses", matrixFile],
      ["public.files", "declaration"],
    ]);
    expect(result.roles).toEqual(["admin", "teacher", "student"]);
    expect(result.cells.filter((c) => !c.pass)).toEqual([]);
    const listed = (table: string, role: string) =>
      result.cells.find((c) => c.table === table && c.role === role && c.probe === "list")?.observed.rows;
    // Students: their own rows; teachers and admins: every row of the organisation (3 roles + a colleague).
    expect(listed("public.files", "student")).toBe(1);
    expect(listed("public.files", "teacher")).toBe(4);
    expect(listed("public.files", "admin")).toBe(4);
    const cell = (role: string, probe: string, kind: string) =>
      result.cells.find(
        (c) => c.table === "public.files" && c.role === role && c.probe === probe && c.kind === kind,
      )?.observed.outcome;
    expect(cell("teacher", "update", "tenant")).toBe("allowed");
    expect(cell("teacher", "delete", "tenant")).toBe("denied");
    expect(cell("student", "select", "tenant")).toBe("denied");
    expect(cell("admin", "delete", "tenant")).toBe("allowed");
  });

  it("catches a hand-written policy that does not match the matrix file", async () => {
    await database.query(`
      drop policy "admins delete courses" on public.courses;
      create policy "staff delete courses" on public.courses for delete to authenticated
        using (organization_id = (select groundwork.active_tenant_for('{admin,teacher}')));`);
    const result = await runRlsMatrix(database.adminUrl, { config, matrixFile, tables: ["public.courses"] });
    const failed = result.cells.filter((c) => !c.pass);
    expect(failed.map((c) => `${c.role} ${c.probe} ${c.kind}`)).toEqual(["teacher delete tenant"]);
    expect(failed[0]?.problem).toBe(
      "teacher can delete a row of its tenant (1 row changed), which its declared rights do not allow",
    );
  });

  it("names the file and the key of a matrix file it cannot use", async () => {
    const bad = path.join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ tables: { "public.courses": { rights: { admin: "tenant" }, owner: "x" } } }),
    );
    await expect(runRlsMatrix(database.adminUrl, { config, matrixFile: bad })).rejects.toThrow(
      `${bad}: tables["public.courses"]: unknown key "owner"`,
    );
    writeFileSync(bad, JSON.stringify({ tables: { "public.courses": { rights: { admin: "own" } } } }));
    await expect(runRlsMatrix(database.adminUrl, { config, matrixFile: bad })).rejects.toThrow(
      'an "own" scope needs "owner_column"',
    );
    writeFileSync(bad, JSON.stringify({ tables: { "public.nope": { rights: { admin: "tenant" } } } }));
    await expect(runRlsMatrix(database.adminUrl, { config, matrixFile: bad })).rejects.toThrow(
      "no table public.nope",
    );
  });
});
