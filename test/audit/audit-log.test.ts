import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  purgeAuditLog,
  RETENTION_LOCK_KEY,
  startAuditRetention,
} from "../../src/platform/audit-retention.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { type AuditRow, apiPool, asCaller, TENANT_A, TENANT_B, userContext } from "./helpers.js";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
/** Admin of tenant B, and a plain member of tenant A: the policy checks memberships, not only claims. */
const BOB = "b0b00000-0000-4000-8000-000000000001";
const CAROL = "ca201000-0000-4000-8000-000000000001";

// The audit log at the SQL level: what each change records, append-only for everyone, retention.
describe("groundwork.audit_log", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const entries = async (table: string) =>
    (
      await database.query<AuditRow>("select * from groundwork.audit_log where table_name = $1 order by id", [
        table,
      ])
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    pool = apiPool(database.apiUrl);
    await database.query(`
      create table public.invoices (id bigint generated always as identity primary key, tenant_id uuid not null,
                                    amount numeric not null);
      alter table public.invoices enable row level security;
      create policy "open to tests" on public.invoices for all to authenticated using (true) with check (true);
      create table public.lines (invoice_id bigint, line_no integer, tenant_id text, note text,
                                 primary key (invoice_id, line_no));
      create table public.no_key (x integer);
      create view public.invoice_view as select * from public.invoices;
      select groundwork.enable_audit('public.invoices');
      select groundwork.enable_audit('public.lines');
      insert into auth.users (id, email) values
        ('${ALICE}', 'alice@example.com'), ('${BOB}', 'bob@example.com'), ('${CAROL}', 'carol@example.com');
      insert into groundwork.tenants (id, name) values ('${TENANT_A}', 'A'), ('${TENANT_B}', 'B');
      insert into groundwork.memberships (user_id, tenant_id, role) values
        ('${ALICE}', '${TENANT_A}', 'admin'), ('${BOB}', '${TENANT_B}', 'admin'), ('${CAROL}', '${TENANT_A}', 'account_manager');`);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("records who changed what: insert, update and delete, with the request's user, tenant, id, IP and agent", async () => {
    const ctx = userContext(ALICE, {
      tenantId: TENANT_A,
      tenantRole: "admin",
      requestId: "req-abc",
      headers: { "x-forwarded-for": "203.0.113.7, 10.0.0.1", "user-agent": "crm-web/2.1" },
    });
    const [row] = await asCaller<{ id: string }>(
      pool,
      ctx,
      "insert into public.invoices (tenant_id, amount) values ($1, 10) returning id",
      [TENANT_A],
    );
    await asCaller(pool, ctx, "update public.invoices set amount = 12 where id = $1", [row?.id]);
    await asCaller(pool, ctx, "delete from public.invoices where id = $1", [row?.id]);

    const [insert, update, remove] = await entries("invoices");
    expect(insert).toMatchObject({
      op: "INSERT",
      table_schema: "public",
      pk: { id: Number(row?.id) },
      old_record: null,
      tenant_id: TENANT_A,
      auth_uid: ALICE,
      auth_role: "authenticated",
      request_id: "req-abc",
      client_ip: "203.0.113.7",
      user_agent: "crm-web/2.1",
    });
    expect(insert?.record).toMatchObject({ amount: 10, tenant_id: TENANT_A });
    expect(insert?.claims).toMatchObject({ sub: ALICE, app_metadata: { tenant_id: TENANT_A } });
    expect(update).toMatchObject({ op: "UPDATE", old_record: { amount: 10 }, record: { amount: 12 } });
    expect(remove).toMatchObject({ op: "DELETE", record: null, record_id: null, old_record: { amount: 12 } });
    // One stable id for every version of the row: its history is one lookup.
    const { rows } = await database.query<{ id: string }>(
      "select groundwork.audit_record_id('public.invoices', $1) as id",
      [JSON.stringify({ id: Number(row?.id) })],
    );
    const recordId = rows[0]?.id;
    expect([insert?.record_id, update?.record_id, update?.old_record_id, remove?.old_record_id]).toEqual(
      Array(4).fill(recordId),
    );
    const diff = await database.query<{ diff: unknown }>(
      "select groundwork.audit_diff(old_record, record) as diff from groundwork.audit_log where id = $1",
      [update?.id],
    );
    expect(diff.rows[0]?.diff).toEqual({ amount: 12 });
  });

  it("identifies rows by a composite key, records truncates, and takes the tenant only from a uuid tenant_id", async () => {
    await database.query("insert into public.lines values (1, 1, 'not-a-uuid', 'a'), (1, 2, 'x', 'b')");
    await database.query("truncate public.lines");
    const rows = await entries("lines");
    expect(rows.map((r) => [r.op, r.pk, r.tenant_id])).toEqual([
      ["INSERT", { invoice_id: 1, line_no: 1 }, null],
      ["INSERT", { invoice_id: 1, line_no: 2 }, null],
      ["TRUNCATE", null, null],
    ]);
    // A direct database session records its login role and no request.
    expect(rows[0]).toMatchObject({ auth_uid: null, auth_role: "postgres", request_id: null, claims: null });
  });

  it("never makes the audited write fail on odd claims or headers", async () => {
    const ctx = userContext("not-a-uuid", {
      tenantId: "also-not-a-uuid",
      headers: { "x-forwarded-for": "" },
    });
    await asCaller(pool, ctx, "insert into public.invoices (tenant_id, amount) values ($1, 1)", [TENANT_B]);
    const last = (await entries("invoices")).at(-1);
    expect(last).toMatchObject({ op: "INSERT", auth_uid: null, tenant_id: TENANT_B, client_ip: null });
  });

  it("enable_audit refuses what it cannot audit; disable_audit stops recording; enabling twice records once", async () => {
    await expect(database.query("select groundwork.enable_audit('public.no_key')")).rejects.toThrow(
      "table public.no_key can not be audited because it has no primary key",
    );
    await expect(database.query("select groundwork.enable_audit('public.invoice_view')")).rejects.toThrow(
      "public.invoice_view is not a table",
    );
    await database.query("select groundwork.enable_audit('public.invoices')");
    const before = (await entries("invoices")).length;
    await database.query(`insert into public.invoices (tenant_id, amount) values ('${TENANT_A}', 5)`);
    expect((await entries("invoices")).length).toBe(before + 1);
    await database.query("select groundwork.disable_audit('public.invoices')");
    await database.query(`insert into public.invoices (tenant_id, amount) values ('${TENANT_A}', 6)`);
    expect((await entries("invoices")).length).toBe(before + 1);
    await database.query("select groundwork.enable_audit('public.invoices')");
    await expect(
      asCaller(pool, userContext(ALICE), "select groundwork.enable_audit('public.invoices')"),
    ).rejects.toThrow("permission denied for function enable_audit");
  });

  it("is append-only for the owner: UPDATE, DELETE and TRUNCATE are refused, even of no rows", async () => {
    for (const sql of [
      "update groundwork.audit_log set op = 'INSERT'",
      "update groundwork.audit_log set op = 'INSERT' where false",
      "delete from groundwork.audit_log",
      "delete from groundwork.audit_log where false",
      "truncate groundwork.audit_log",
    ]) {
      await expect(database.query(sql), sql).rejects.toThrow(/groundwork\.audit_log is append-only/);
    }
    // Setting the retention flag by hand lets through only entries older than the cutoff it names.
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      await client.query("begin");
      await client.query("set local groundwork.audit_purge_before = '2000-01-01'");
      await expect(client.query("delete from groundwork.audit_log")).rejects.toThrow(
        /append-only: DELETE is not allowed/,
      );
      await client.query("rollback");
    } finally {
      await client.end();
    }
  });

  it("is append-only for every API role, service_role included, and readable only as the policy says", async () => {
    const service = { ...userContext(ALICE), role: "service_role", claims: { role: "service_role" } };
    for (const sql of [
      "update groundwork.audit_log set op = 'INSERT'",
      "delete from groundwork.audit_log",
      "truncate groundwork.audit_log",
      "insert into groundwork.audit_log (op, table_oid, table_schema, table_name) values ('TRUNCATE', 1, 'x', 'y')",
    ]) {
      await expect(asCaller(pool, service, sql), sql).rejects.toThrow(
        "permission denied for table audit_log",
      );
      await expect(asCaller(pool, userContext(ALICE), sql), sql).rejects.toThrow(
        "permission denied for table audit_log",
      );
    }
    const count =
      "select count(*)::int as n, count(distinct tenant_id)::int as tenants from groundwork.audit_log";
    const total = (await database.query<{ n: number }>("select count(*)::int as n from groundwork.audit_log"))
      .rows[0]?.n;
    expect((await asCaller<{ n: number }>(pool, service, count))[0]?.n).toBe(total);
    const adminA = userContext(ALICE, { tenantId: TENANT_A, tenantRole: "admin" });
    const seenByA = await asCaller<{ tenant_id: string }>(
      pool,
      adminA,
      "select distinct tenant_id from groundwork.audit_log",
    );
    expect(seenByA).toEqual([{ tenant_id: TENANT_A }]);
    const adminB = userContext(BOB, { tenantId: TENANT_B, tenantRole: "admin" });
    expect(await asCaller(pool, adminB, "select distinct tenant_id from groundwork.audit_log")).toEqual([
      { tenant_id: TENANT_B },
    ]);
    const memberA = userContext(CAROL, { tenantId: TENANT_A, tenantRole: "account_manager" });
    expect(await asCaller(pool, memberA, "select * from groundwork.audit_log")).toEqual([]);
    // A token that claims admin of a tenant the user is no admin of (stale or forged claims) reads nothing.
    const claimsOnly = userContext(CAROL, { tenantId: TENANT_A, tenantRole: "admin" });
    expect(await asCaller(pool, claimsOnly, "select * from groundwork.audit_log")).toEqual([]);
    const notMember = userContext(ALICE, { tenantId: TENANT_B, tenantRole: "admin" });
    expect(await asCaller(pool, notMember, "select * from groundwork.audit_log")).toEqual([]);
    const anon = { ...userContext(ALICE), role: "anon", claims: { role: "anon" } };
    await expect(asCaller(pool, anon, "select * from groundwork.audit_log")).rejects.toThrow(
      "permission denied",
    );
  });

  it("retention deletes only the entries older than the retention", async () => {
    await database.query(`
      insert into groundwork.audit_log (ts, op, table_oid, table_schema, table_name, record_id)
      select now() - make_interval(days => d), 'INSERT', 'public.invoices'::regclass, 'public', 'old_rows', gen_random_uuid()
      from unnest(array[400, 91, 89, 1]) as d`);
    expect(await purgeAuditLog(database, 90)).toBe(2);
    const kept = await database.query<{ age: number }>(
      "select extract(day from now() - ts)::int as age from groundwork.audit_log where table_name = 'old_rows' order by ts",
    );
    expect(kept.rows.map((r) => r.age)).toEqual([89, 1]);
    expect((await entries("invoices")).length).toBeGreaterThan(0);
    await expect(database.query("select groundwork.purge_audit_log('0 days')")).rejects.toThrow(
      "the retention must be a positive interval",
    );
  });

  it("the server's retention job runs on schedule, one process at a time", async () => {
    await database.query(`
      insert into groundwork.audit_log (ts, op, table_oid, table_schema, table_name, record_id)
      values (now() - interval '40 days', 'INSERT', 'public.invoices'::regclass, 'public', 'job_rows', gen_random_uuid())`);
    const admin = apiPool(database.adminUrl);
    const holder = new pg.Client({ connectionString: database.adminUrl });
    await holder.connect();
    try {
      // Another process is running it: this one skips.
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock($1)", [RETENTION_LOCK_KEY]);
      const runs: unknown[] = [];
      const job = startAuditRetention(admin, 30, {
        firstRunMs: 10,
        intervalMs: 50,
        onRun: (run) => runs.push(run),
      });
      await expect.poll(() => runs.length).toBeGreaterThan(0);
      expect(runs[0]).toEqual({ skipped: true });
      await holder.query("commit");
      await expect.poll(() => runs.some((run) => "deleted" in (run as object))).toBe(true);
      const left = await database.query(
        "select from groundwork.audit_log where ts < now() - interval '30 days'",
      );
      expect(left.rowCount).toBe(0);
      await job.stop();
      const settled = runs.length;
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(runs.length).toBe(settled);
    } finally {
      await holder.end();
      await admin.end();
    }
  });
});
