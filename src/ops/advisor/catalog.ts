import type pg from "pg";
import { PLATFORM_SCHEMAS } from "./sql-fragments.js";
import type { LintContext } from "./types.js";

/**
 * Runs a catalog query with the advisor's three parameters bound: `$1::text[]` exposed schemas,
 * `$2::text[]` client roles, `$3::text[]` platform schemas. The params subquery gives each its
 * type even when the query leaves some unused.
 */
export async function queryCatalog<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  context: LintContext,
  sql: string,
): Promise<R[]> {
  const { rows } = await client.query<R>(
    `select finding.* from (${sql}) as finding, (select $1::text[], $2::text[], $3::text[]) as params`,
    [context.exposedSchemas, context.clientRoles, PLATFORM_SCHEMAS],
  );
  return rows;
}
