import { randomUUID } from "node:crypto";
import type pg from "pg";
import { type PlannedTable, TENANTS_TABLE, USERS_TABLE } from "./fixture-plan.js";
import { draftRow, insertStatement, type RowDraft } from "./row-values.js";

/** A user the runner creates: one per role in tenant A, a colleague ("peer") and an outsider in B. */
export interface FixtureUser {
  /** `role:<name>`, `peer` or `outsider`. */
  readonly key: string;
  readonly id: string;
  readonly email: string;
  readonly tenantId: string;
  readonly role: string;
}

export interface FixtureRow {
  readonly ctid: string;
  readonly row: Readonly<Record<string, unknown>>;
}

/** Everything the runner created, all inside its transaction. */
export interface Fixture {
  readonly tenantA: string;
  readonly tenantB: string;
  readonly users: readonly FixtureUser[];
  readonly tables: ReadonlyMap<string, PlannedTable>;
  /** Rows by table, then by owner: a user key, `tenant:<id>`, or `global`. */
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, FixtureRow>>;
  /** Counter that keeps invented text values unique. */
  nextSerial(): number;
}

/**
 * What a user could put in their own user_metadata with `supabase.auth.updateUser({ data })`:
 * every simulated user carries it, so a policy that trusts user_metadata shows up as a leak.
 */
export function hostileUserMetadata(otherTenant: string): Record<string, unknown> {
  return {
    tenant_id: otherTenant,
    tenant_role: "admin",
    role: "admin",
    is_admin: true,
    organization_id: otherTenant,
    full_name: "RLS matrix user",
  };
}

/** Creates the tenants, users, memberships and rows the matrix needs. */
export async function createFixture(
  client: pg.ClientBase,
  roles: readonly string[],
  planned: readonly PlannedTable[],
): Promise<Fixture> {
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  await client.query(`insert into ${TENANTS_TABLE} (id, name) values ($1, $3), ($2, $4)`, [
    tenantA,
    tenantB,
    "RLS matrix tenant A",
    "RLS matrix tenant B",
  ]);
  const run = randomUUID().slice(0, 8);
  const specs: [string, string, string][] = [
    ...roles.map((role): [string, string, string] => [`role:${role}`, tenantA, role]),
    ["peer", tenantA, roles[roles.length - 1] ?? "member"],
    ["outsider", tenantB, roles[0] ?? "member"],
  ];
  const users: FixtureUser[] = [];
  for (const [key, tenantId, role] of specs) {
    const id = randomUUID();
    const email = `rls-${key.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-${run}@groundwork.test`;
    const other = tenantId === tenantA ? tenantB : tenantA;
    await client.query(
      `insert into ${USERS_TABLE} (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
                                   created_at, updated_at, email_confirmed_at)
       values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, $3, $4, now(), now(), now())`,
      [id, email, { provider: "email", providers: ["email"] }, hostileUserMetadata(other)],
    );
    await client.query(
      "insert into groundwork.memberships (user_id, tenant_id, role, is_active) values ($1, $2, $3, true)",
      [id, tenantId, role],
    );
    users.push({ key, id, email, tenantId, role });
  }

  let serial = 0;
  const rows = new Map<string, Map<string, FixtureRow>>();
  const fixture: Fixture = {
    tenantA,
    tenantB,
    users,
    tables: new Map(planned.map((p) => [p.info.table, p])),
    rows,
    nextSerial: () => ++serial,
  };
  for (const table of planned) {
    const byOwner = new Map<string, FixtureRow>();
    rows.set(table.info.table, byOwner);
    for (const [owner, draft] of fixtureDrafts(fixture, table)) {
      byOwner.set(owner, await insertFixtureRow(client, draft));
    }
  }
  return fixture;
}

/** The rows to create for one table, keyed by owner. */
function fixtureDrafts(fixture: Fixture, table: PlannedTable): [string, RowDraft][] {
  const peer = fixture.users.find((u) => u.key === "peer") as FixtureUser;
  const outsider = fixture.users.find((u) => u.key === "outsider") as FixtureUser;
  const { mode } = table;
  switch (mode.kind) {
    case "owner":
    case "people":
      return fixture.users.map((user) => [user.key, draftFor(fixture, table, user, user.tenantId)]);
    case "tenant":
    case "tenants":
      return [
        [`tenant:${fixture.tenantA}`, draftFor(fixture, table, peer, fixture.tenantA)],
        [`tenant:${fixture.tenantB}`, draftFor(fixture, table, outsider, fixture.tenantB)],
      ];
    case "global":
      return [["global", draftFor(fixture, table, peer, fixture.tenantA)]];
  }
}

/**
 * A row of `table` that belongs to `user` in `tenant`: tenant and owner columns set, foreign keys
 * pointing at that user's (or tenant's) fixture rows. `overrides` replace single columns (the
 * probes use it to aim a row elsewhere).
 */
export function draftFor(
  fixture: Fixture,
  table: PlannedTable,
  user: FixtureUser,
  tenant: string,
  overrides: ReadonlyMap<string, string | null> = new Map(),
): RowDraft {
  const fixed = new Map<string, string | null>();
  const { mode, info } = table;
  if (mode.kind === "owner") {
    fixed.set(mode.spec.tenantColumn, tenant);
    const owner = mode.spec.owner;
    const ownerColumn = mode.spec.ownerColumn as string;
    fixed.set(ownerColumn, owner ? keyOf(fixture, owner.table, user, tenant, owner.keyColumn) : user.id);
  } else if (mode.kind === "people") {
    fixed.set(mode.owner.userColumn, user.id);
    if (mode.owner.tenantColumn) fixed.set(mode.owner.tenantColumn, tenant);
  } else if (mode.kind === "tenant") {
    fixed.set(mode.tenantColumn, tenant);
  } else if (mode.kind === "tenants") {
    fixed.set(mode.keyColumn, tenant);
  }
  for (const fk of info.foreignKeys) {
    fk.columns.forEach((column, i) => {
      if (fixed.has(column)) return;
      const referenced = fk.referencedColumns[i] as string;
      if (fk.table === USERS_TABLE) fixed.set(column, user.id);
      else if (fk.table === TENANTS_TABLE) fixed.set(column, tenant);
      else if (fixture.rows.has(fk.table) && fk.table !== info.table) {
        fixed.set(column, keyOf(fixture, fk.table, user, tenant, referenced));
      }
    });
  }
  for (const [column, value] of overrides) fixed.set(column, value);
  const fixtureValues =
    mode.kind === "owner" || mode.kind === "tenant" ? (mode.spec?.fixtureValues ?? {}) : {};
  return draftRow(info, fixed, fixtureValues, fixture.nextSerial());
}

/** A column of the fixture row of `table` that belongs to `user` (or their tenant), as text. */
export function keyOf(
  fixture: Fixture,
  table: string,
  user: FixtureUser,
  tenant: string,
  column: string,
): string {
  const byOwner = fixture.rows.get(table);
  const row = byOwner?.get(user.key) ?? byOwner?.get(`tenant:${tenant}`) ?? byOwner?.get("global");
  const value = row?.row[column];
  if (value === undefined || value === null) {
    throw new Error(`no fixture row of ${table} for ${user.key} with a value in ${column}`);
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

async function insertFixtureRow(client: pg.ClientBase, draft: RowDraft): Promise<FixtureRow> {
  const statement = insertStatement(draft, {
    alias: "gw_row",
    returning: "ctid::text as ctid, to_jsonb(gw_row) as row",
  });
  try {
    const { rows } = await client.query<{ ctid: string; row: Record<string, unknown> }>(
      statement.text,
      statement.values,
    );
    const row = rows[0];
    if (!row) throw new Error("the insert returned no row");
    return row;
  } catch (error) {
    const err = error as Error & { code?: string };
    throw new Error(
      `could not create a test row in ${draft.table} (${err.code ?? "error"}: ${err.message}); ` +
        `give the columns it needs in the declaration's fixture_values or the matrix file's "values"`,
    );
  }
}
