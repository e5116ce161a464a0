import { quoteIdent } from "../../db/sql.js";
import { expectedOutcome, expectedRows } from "./expected.js";
import type { PlannedTable } from "./fixture-plan.js";
import { draftFor, type Fixture, type FixtureRow, type FixtureUser, keyOf } from "./fixtures.js";
import type { ProbeStatement } from "./probe.js";
import { insertStatement } from "./row-values.js";
import type { Expectation, Probe, RowKind, TableSpec } from "./types.js";

/** A cell before it runs: who, what, and the statement that proves it. */
export interface PlannedCell {
  readonly table: string;
  readonly role: string;
  readonly probe: Probe;
  readonly kind: RowKind | null;
  readonly expected: Expectation;
  readonly statement: ProbeStatement;
}

const ROW_PROBES: readonly Probe[] = ["select", "insert", "update", "move", "reassign", "delete"];

/** Every cell of one declared table: each role x probe x row kind, then anon's probes. */
export function planTableCells(fixture: Fixture, spec: TableSpec, roles: readonly string[]): PlannedCell[] {
  const planned = fixture.tables.get(spec.table) as PlannedTable;
  const ownerMode = spec.ownerColumn !== null;
  const kinds: RowKind[] = ownerMode ? ["own", "tenant", "other"] : ["tenant", "other"];
  const cells: PlannedCell[] = [];
  for (const role of roles) {
    const user = userByKey(fixture, `role:${role}`);
    const statement = listStatement(fixture, spec);
    const inTenant = ownerMode ? fixture.users.filter((u) => u.tenantId === fixture.tenantA).length : 1;
    cells.push({
      ...base(spec, role, "list", null),
      expected: expectedRows(spec.rights, role, inTenant),
      statement,
    });
    for (const probe of ROW_PROBES) {
      if (probe === "reassign" && !ownerMode) continue;
      for (const kind of kinds) {
        cells.push({
          ...base(spec, role, probe, kind),
          expected: expectedOutcome(spec.rights, role, probe, kind),
          statement: rowStatement(fixture, planned, spec, user, probe, kind),
        });
      }
    }
  }
  const peer = userByKey(fixture, "peer");
  const denied: Expectation = { kind: "denied" };
  cells.push({
    ...base(spec, "anon", "list", null),
    expected: { kind: "rows", count: 0 },
    statement: listStatement(fixture, spec),
  });
  for (const probe of ["select", "insert", "update", "delete"] as const) {
    cells.push({
      ...base(spec, "anon", probe, null),
      expected: denied,
      statement: rowStatement(fixture, planned, spec, peer, probe, ownerMode ? "own" : "tenant"),
    });
  }
  return cells;
}

function base(spec: TableSpec, role: string, probe: Probe, kind: RowKind | null) {
  return { table: spec.table, role, probe, kind };
}

function userByKey(fixture: Fixture, key: string): FixtureUser {
  const user = fixture.users.find((u) => u.key === key);
  if (!user) throw new Error(`no fixture user ${key}`);
  return user;
}

function listStatement(fixture: Fixture, spec: TableSpec): ProbeStatement {
  return {
    probe: "list",
    text: `select count(*) as count from ${spec.table} where ${quoteIdent(spec.tenantColumn)} = any ($1::uuid[])`,
    values: [[fixture.tenantA, fixture.tenantB]],
  };
}

/**
 * The user whose row a kind means, seen from `user`: theirs, a colleague's (the tenant's row
 * in tenant mode), or the outsider's in the other tenant.
 */
function rowOwner(fixture: Fixture, spec: TableSpec, user: FixtureUser, kind: RowKind): FixtureUser {
  if (kind === "own") return user;
  if (kind === "other") return userByKey(fixture, "outsider");
  return spec.ownerColumn ? userByKey(fixture, "peer") : user;
}

function targetRow(fixture: Fixture, spec: TableSpec, owner: FixtureUser): FixtureRow {
  const rows = fixture.rows.get(spec.table);
  const row = spec.ownerColumn ? rows?.get(owner.key) : rows?.get(`tenant:${owner.tenantId}`);
  if (!row) throw new Error(`no fixture row of ${spec.table} for ${owner.key}`);
  return row;
}

/** The value an owner column holds for `user`: their id, or their row's key in the owner table. */
function ownerValue(fixture: Fixture, spec: TableSpec, user: FixtureUser): string {
  return spec.owner ? keyOf(fixture, spec.owner.table, user, user.tenantId, spec.owner.keyColumn) : user.id;
}

function rowStatement(
  fixture: Fixture,
  planned: PlannedTable,
  spec: TableSpec,
  user: FixtureUser,
  probe: Probe,
  kind: RowKind,
): ProbeStatement {
  const table = spec.table;
  const owner = rowOwner(fixture, spec, user, kind);
  if (probe === "insert") {
    // A new row of that kind: the owner's tenant, the owner's owner value, their foreign keys.
    const statement = insertStatement(draftFor(fixture, planned, owner, owner.tenantId));
    return { probe, ...statement };
  }
  const ctid = targetRow(fixture, spec, owner).ctid;
  const tenant = quoteIdent(spec.tenantColumn);
  switch (probe) {
    case "select":
      return { probe, text: `select 1 from ${table} where ctid = $1::tid`, values: [ctid] };
    case "update":
      return {
        probe,
        text: `update ${table} set ${tenant} = ${tenant} where ctid = $1::tid`,
        values: [ctid],
      };
    case "move": {
      const elsewhere = owner.tenantId === fixture.tenantA ? fixture.tenantB : fixture.tenantA;
      return {
        probe,
        text: `update ${table} set ${tenant} = $2::uuid where ctid = $1::tid`,
        values: [ctid, elsewhere],
      };
    }
    case "reassign": {
      // Own row: hand it to the colleague. Someone else's row: take it.
      const next = ownerValue(fixture, spec, kind === "own" ? userByKey(fixture, "peer") : user);
      const column = quoteIdent(spec.ownerColumn as string);
      return {
        probe,
        text: `update ${table} set ${column} = $2::uuid where ctid = $1::tid`,
        values: [ctid, next],
      };
    }
    case "delete":
      return { probe, text: `delete from ${table} where ctid = $1::tid`, values: [ctid] };
    default:
      throw new Error(`no row statement for ${probe}`);
  }
}
