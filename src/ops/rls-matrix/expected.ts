import type { Command, Expectation, Probe, Rights, RowKind, Scope } from "./types.js";

const RANK: Readonly<Record<Scope, number>> = { none: 0, own: 1, tenant: 2 };
const ALLOWED: Expectation = { kind: "allowed" };
const DENIED: Expectation = { kind: "denied" };

/** A role's scope for a command; a role the declaration does not name has none. */
export function scopeOf(rights: Rights, role: string, command: Command): Scope {
  return rights[role]?.[command] ?? "none";
}

/**
 * The scope that takes effect for UPDATE and DELETE: Postgres applies SELECT policies to the rows
 * they read (the WHERE clause), so they can never reach further than select.
 */
export function effectiveScope(rights: Rights, role: string, command: "update" | "delete"): Scope {
  const own = scopeOf(rights, role, command);
  const read = scopeOf(rights, role, "select");
  return RANK[own] <= RANK[read] ? own : read;
}

/** Whether a scope reaches a row of this kind. Another tenant's row is never in scope. */
export function reaches(scope: Scope, kind: RowKind): boolean {
  if (kind === "other") return false;
  if (scope === "tenant") return true;
  return scope === "own" && kind === "own";
}

/**
 * What a role should observe for a probe on a row of this kind. `move` (to another tenant) is
 * refused for everyone; `reassign` (to another owner) needs tenant scope, since own scope checks
 * the new row's owner.
 */
export function expectedOutcome(rights: Rights, role: string, probe: Probe, kind: RowKind): Expectation {
  switch (probe) {
    case "select":
      return reaches(scopeOf(rights, role, "select"), kind) ? ALLOWED : DENIED;
    case "insert":
      return reaches(scopeOf(rights, role, "insert"), kind) ? ALLOWED : DENIED;
    case "update":
    case "delete":
      return reaches(effectiveScope(rights, role, probe), kind) ? ALLOWED : DENIED;
    case "move":
      return DENIED;
    case "reassign":
      return kind !== "other" && effectiveScope(rights, role, "update") === "tenant" ? ALLOWED : DENIED;
    case "list":
      throw new Error("list expectations are counts: use expectedRows");
  }
}

/**
 * How many of the fixture rows a role should see: all rows of its tenant with tenant scope, its
 * own row with own scope, none otherwise.
 */
export function expectedRows(rights: Rights, role: string, rowsInTenant: number): Expectation {
  const scope = scopeOf(rights, role, "select");
  return { kind: "rows", count: scope === "tenant" ? rowsInTenant : scope === "own" ? 1 : 0 };
}
