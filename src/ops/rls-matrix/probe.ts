import type pg from "pg";
import { contextSettingsStatement, type RequestContext } from "../../db/context.js";
import { readTenantScope, scopeKey, type TenantScope } from "../../db/tenant-scope.js";
import type { Observation, Probe } from "./types.js";

/** One statement a cell runs as the impersonated caller. */
export interface ProbeStatement {
  readonly probe: Probe;
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * Runs cells on one connection inside the runner's transaction. Each cell is a savepoint: the
 * settings the data API makes for a request (role, claims, headers... through the same
 * contextSettingsStatement withContext uses, with the tenant scope the API's cache would pass),
 * the statement, then a rollback to the savepoint, which also restores the role and settings.
 * Nothing a cell writes is seen by the next one.
 */
export class CellRunner {
  /** The rollback of the previous cell, sent with the next cell's setup to save a round trip. */
  private pending = "";
  /**
   * Tenant scopes read once per caller and tenant: the fixtures they depend on (memberships,
   * owner rows) are made before the cells and every cell is rolled back.
   */
  private readonly scopes = new Map<string, TenantScope>();
  private canReadScopes: boolean | undefined;

  constructor(private readonly client: pg.ClientBase) {}

  async run(
    ctx: RequestContext,
    statement: ProbeStatement,
    searchPath: readonly string[],
  ): Promise<Observation> {
    const tenantScope = await this.scopeFor(ctx);
    await this.client.query(
      `${this.pending}savepoint gw_cell; ${contextSettingsStatement({ ...ctx, tenantScope }, { searchPath })}`,
    );
    this.pending = "rollback to savepoint gw_cell; release savepoint gw_cell; ";
    try {
      const result = await this.client.query(statement.text, [...statement.values]);
      return classifyResult(statement.probe, result);
    } catch (error) {
      return classifyError(error as Error & { code?: string; constraint?: string });
    }
  }

  /** What the data API's TenantScopeCache would pass for `ctx`, read as the API reads it. */
  private async scopeFor(ctx: RequestContext): Promise<TenantScope | undefined> {
    const key = scopeKey(ctx);
    if (key === null) return undefined;
    const id = `${key.user}/${key.tenant ?? ""}`;
    let scope = this.scopes.get(id);
    if (scope === undefined) {
      await this.settle();
      // A database whose platform predates groundwork.caller_scope: the API in front of it passes
      // no scope either, and the helpers look it up.
      this.canReadScopes ??= (
        await this.client.query<{ ok: boolean }>(
          "select to_regprocedure('groundwork.caller_scope(uuid, uuid)') is not null as ok",
        )
      ).rows[0]?.ok;
      if (!this.canReadScopes) return undefined;
      scope = await readTenantScope(this.client, key.user, key.tenant);
      this.scopes.set(id, scope);
    }
    return scope;
  }

  /** Rolls the last cell back (call before using the connection for anything else). */
  async settle(): Promise<void> {
    if (this.pending === "") return;
    await this.client.query(this.pending);
    this.pending = "";
  }
}

/** What a statement that succeeded means for its probe. */
export function classifyResult(probe: Probe, result: pg.QueryResult): Observation {
  if (probe === "list") {
    const rows = Number((result.rows[0] as { count?: unknown } | undefined)?.count ?? 0);
    return { outcome: "allowed", how: `${rows} visible`, rows };
  }
  const count = probe === "select" ? result.rows.length : (result.rowCount ?? 0);
  if (probe === "select") {
    return count > 0 ? { outcome: "allowed", how: "visible" } : { outcome: "denied", how: "not visible" };
  }
  if (probe === "insert") return { outcome: "allowed", how: "inserted" };
  return count > 0
    ? { outcome: "allowed", how: `${count} row${count === 1 ? "" : "s"} changed` }
    : { outcome: "denied", how: "0 rows (silently filtered)" };
}

/**
 * What an error means. 42501 is a denial: a WITH CHECK violation ("new row violates row-level
 * security policy") or a missing grant. An integrity error (23xxx) comes after Postgres checked
 * the row-level security of the new row, so row-level security allowed the write.
 */
export function classifyError(error: Error & { code?: string; constraint?: string }): Observation {
  const code = error.code ?? "";
  if (code === "42501") {
    const rls = /row-level security/i.test(error.message);
    return {
      outcome: "denied",
      how: rls ? "42501 row-level security (WITH CHECK)" : "42501 permission denied",
      code,
      message: error.message,
    };
  }
  if (code.startsWith("23")) {
    return {
      outcome: "allowed",
      how: `passed RLS, then ${code}${error.constraint ? ` (${error.constraint})` : ""}`,
      code,
      message: error.message,
    };
  }
  return { outcome: "error", how: `error ${code || "?"}`, code, message: error.message };
}
