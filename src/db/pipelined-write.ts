import type pg from "pg";
import { withTenantScope } from "./caller-scope.js";
import { preparedSettingsStatement, type RequestContext, type TransactionOptions } from "./context.js";
import { type PreparedStatement, runPipeline, settingsStatementName } from "./pipelined-read.js";

const BEGIN: PreparedStatement = {
  name: "groundwork_begin",
  text: "begin isolation level read committed read write",
  values: [],
};
const IMMEDIATE: PreparedStatement = {
  name: "groundwork_constraints_immediate",
  text: "set constraints all immediate",
  values: [],
};
const ROLLBACK: PreparedStatement = { name: "groundwork_rollback", text: "rollback", values: [] };

export interface PipelinedWriteOptions extends Omit<TransactionOptions, "readOnly"> {
  /** End in ROLLBACK (deferred constraints still checked first) instead of COMMIT. */
  readonly rollback: boolean;
  /**
   * Checks the statement's row before the transaction ends; throwing rolls it back. With a check
   * the transaction takes a second round trip (COMMIT or ROLLBACK after the check).
   */
  readonly check?: (row: (string | null)[] | null) => void;
}

/**
 * Runs a writing statement as the caller in as few round trips as its semantics allow, with the
 * guarantees of BEGIN ... COMMIT around the request's settings and the statement:
 * - committing, nothing to check: settings and statement in one pipeline under one Sync, the
 *   implicit transaction that commits at the Sync (and rolls everything back on any error,
 *   deferred constraints included);
 * - rolling back (`tx=rollback`), nothing to check: BEGIN, settings, statement,
 *   `set constraints all immediate` (deferred errors still reported) and ROLLBACK, one Sync;
 * - with a check (single object, max-affected): BEGIN, settings and statement in one round trip,
 *   then COMMIT or ROLLBACK after the check.
 * Returns the statement's first row as text values.
 */
export async function pipelinedWrite(
  pool: pg.Pool,
  ctx: RequestContext,
  statement: PreparedStatement,
  options: PipelinedWriteOptions,
): Promise<(string | null)[] | null> {
  const { rollback, check, ...transaction } = options;
  const { text, values } = preparedSettingsStatement(await withTenantScope(pool, ctx), transaction);
  const settings = { name: settingsStatementName(text), text, values };
  const main = { ...statement, name: `${statement.name}_p` };
  const explicit = rollback || check !== undefined;
  const client = await pool.connect();
  let broken: Error | undefined;
  let open = false;
  try {
    if (!explicit) return await runPipeline(client, [settings, main], 1);
    open = true;
    const tail = check === undefined ? [IMMEDIATE, ROLLBACK] : [];
    const row = await runPipeline(client, [BEGIN, settings, main, ...tail], 2);
    if (check === undefined) {
      open = false;
      return row;
    }
    check(row);
    if (rollback) await client.query("set constraints all immediate");
    await client.query(rollback ? "rollback" : "commit");
    open = false;
    return row;
  } catch (error) {
    if (!(error instanceof Error && "severity" in error) && !open) broken = error as Error;
    if (open) {
      // An explicit transaction stays open (aborted) after an error or a failed check.
      try {
        await client.query("rollback");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
