import type pg from "pg";
import { contextSettingsStatement, escapeLiteral, type RequestContext } from "../../../db/context.js";
import { quoteIdent } from "../../../db/sql.js";
import type { TableInfo } from "./catalog.js";

/** Subscribers with identical role and claims: one visibility check serves them all. */
export interface ClaimsGroup {
  readonly key: string;
  readonly context: RequestContext;
}

/**
 * Which groups may SELECT the changed row under RLS right now — all groups of one change in one
 * round trip: one read-only transaction in which each group's settings (exactly those
 * `withContext` makes for the data API) are made in a savepoint, the row is looked up by primary
 * key, and the savepoint is rolled back before the next group. Supabase runs one query per
 * subscriber; this runs one statement per distinct claims set and one round trip per change.
 */
export async function visibleGroups(
  pool: pg.Pool,
  table: TableInfo,
  key: Readonly<Record<string, string | null>>,
  groups: readonly ClaimsGroup[],
): Promise<Set<string>> {
  const visible = new Set<string>();
  if (groups.length === 0) return visible;
  const where = table.keyColumns
    .map((column) => {
      const value = key[column.name];
      return value === null || value === undefined
        ? "false"
        : `${quoteIdent(column.name)} = ${escapeLiteral(value)}::${column.sqlType}`;
    })
    .join(" and ");
  const lookup = `select exists (select 1 from ${quoteIdent(table.schema)}.${quoteIdent(table.name)} where ${where}) as visible`;
  const statements = ["begin isolation level read committed read only", "savepoint visibility"];
  const checked: ClaimsGroup[] = [];
  for (const group of groups) {
    let settings: string;
    try {
      settings = contextSettingsStatement(group.context);
    } catch {
      continue; // a claim with a NUL character cannot be set, so it sees nothing
    }
    statements.push(settings, lookup, "rollback to savepoint visibility");
    checked.push(group);
  }
  statements.push("rollback");
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const results = (await client.query(statements.join(";\n"))) as unknown as pg.QueryResult[];
    let index = 0;
    for (const result of results) {
      if (result.fields?.[0]?.name !== "visible") continue;
      const group = checked[index];
      index += 1;
      if (group && result.rows[0]?.visible === true) visible.add(group.key);
    }
    return visible;
  } catch (error) {
    await client.query("rollback").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
