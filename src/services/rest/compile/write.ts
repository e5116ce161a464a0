import { quoteIdent } from "../../../db/sql.js";
import { pgrst } from "../errors.js";
import type { Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import type { QueryParams } from "../parse/ast.js";
import { buildReadPlan, type ReadNode, tableSource } from "../plan/read-plan.js";
import { type ValueSlots, valueSlots } from "../request-shape.js";
import type { RestRequest } from "../rest-request.js";
import type { Relation } from "../schema-cache/types.js";
import { deleteSql, insertSql, type Returning, updateSql } from "../sql/mutate.js";
import { Params } from "../sql/params.js";
import { conditions, limitedRows, selectSql } from "../sql/read.js";
import { mainStatement } from "../sql/statement.js";

export type WriteKind = "insert" | "update" | "delete" | "put";

/** A compiled write; the payload is bound as `$1` at run time when `usesPayload`. */
export interface CompiledWrite {
  readonly kind: WriteKind;
  readonly statement: Statement;
  readonly usesPayload: boolean;
  readonly returning: Returning;
  readonly media: Negotiated;
  readonly primaryKey: readonly string[];
  readonly upsert: boolean;
  /** Parameters that take the request's filter values (see request-shape.ts). */
  readonly slots: ValueSlots;
}

/** Builds the mutation (`build`) into PostgREST's write statement shape (reference §11). */
export function compileWrite(
  req: RestRequest,
  relation: Relation,
  query: QueryParams,
  kind: WriteKind,
  build: (params: Params, returning: Returning, where: (params: Params) => string[]) => string,
  usesPayload = true,
): CompiledWrite {
  const returning: Returning = req.prefs.return ?? "minimal";
  const media = negotiate(req.raw.headers.accept, req.cache.dbConfig.planEnabled);
  const params = new Params();
  if (usesPayload) params.add(null);
  const plan = buildReadPlan(req.cache, tableSource(relation), query);
  const mutation = build(params, returning, (p) => {
    const limited = limitedRows(plan, p);
    return limited === null ? conditions(plan, p) : [limited];
  });
  const tableAlias = quoteIdent(relation.name);
  const extra = ["(SELECT pg_catalog.count(*) FROM pgrst_source WHERE pgrst_inserted) AS response_inserted"];
  if (returning === "headers-only" && relation.primaryKey.length > 0) {
    const keys = relation.primaryKey.map(quoteIdent).join(", ");
    extra.push(
      `(SELECT row_to_json(pgrst_loc)::text FROM (SELECT ${keys} FROM pgrst_source LIMIT 1) pgrst_loc) AS location`,
    );
  }
  let rows = "SELECT * FROM pgrst_source";
  if (returning === "representation") {
    // Only the table's own columns, in order, so a row of this subquery converts to the table's
    // row type: computed columns (functions on the row type) then work as they do on reads.
    const own = relation.columnList.map((c) => quoteIdent(c.name)).join(", ");
    const representation: ReadNode = {
      ...plan,
      from: `(SELECT ${own} FROM pgrst_source) AS ${tableAlias}`,
      ref: tableAlias,
      params: { ...plan.params, filters: [], logic: [], limit: null, offset: null },
      embedNullFilters: [],
    };
    rows = selectSql(representation, params, { typeNames: req.cache.typeNames, expandStar: true });
  }
  const text = mainStatement({
    ctes: [`pgrst_source AS (${mutation})`],
    rows,
    body: returning === "representation" ? { kind: "rows", media } : { kind: "none" },
    total: null,
    extra,
  });
  return {
    kind,
    statement: { text, values: params.values },
    usesPayload,
    returning,
    media,
    primaryKey: relation.primaryKey,
    upsert: kind === "insert" && req.prefs.resolution !== null,
    slots: valueSlots(params.values),
  };
}

const PAYLOAD = "$1";

/** POST: insert, or upsert with `resolution=` (reference §6.1). */
export function compileInsert(
  req: RestRequest,
  relation: Relation,
  query: QueryParams,
  columns: readonly string[],
): CompiledWrite {
  checkColumns(relation, columns);
  const upsert = req.prefs.resolution;
  const conflictColumns = query.onConflict ?? relation.primaryKey;
  return compileWrite(req, relation, query, "insert", (params, returning) =>
    insertSql(
      {
        relation,
        columns,
        jsonParam: PAYLOAD,
        missingDefault: req.prefs.missing === "default",
        // Without a key there is no conflict target: ignore-duplicates skips any conflict,
        // merge-duplicates has nothing to merge on and inserts.
        onConflict:
          upsert === "ignore-duplicates" || (upsert === "merge-duplicates" && conflictColumns.length > 0)
            ? { columns: conflictColumns, action: upsert === "merge-duplicates" ? "update" : "nothing" }
            : null,
        returning,
      },
      params,
    ),
  );
}

/** PATCH: the filtered rows take the body's keys (reference §6.2). */
export function compileUpdate(
  req: RestRequest,
  relation: Relation,
  query: QueryParams,
  columns: readonly string[],
): CompiledWrite {
  checkColumns(relation, columns);
  return compileWrite(req, relation, query, "update", (params, returning, where) =>
    updateSql(relation, columns, PAYLOAD, where(params), returning),
  );
}

/** DELETE with the request's filters (reference §6.2). */
export function compileDelete(req: RestRequest, relation: Relation, query: QueryParams): CompiledWrite {
  return compileWrite(
    req,
    relation,
    query,
    "delete",
    (params, returning, where) => deleteSql(relation, where(params), returning),
    false,
  );
}

/** PUT: a single-row upsert on the primary key; the key filters were checked by the route. */
export function compilePut(
  req: RestRequest,
  relation: Relation,
  query: QueryParams,
  columns: readonly string[],
): CompiledWrite {
  checkColumns(relation, columns);
  const stripped = withoutRootFilters(query);
  return compileWrite(req, relation, stripped, "put", (params, returning) =>
    insertSql(
      {
        relation,
        columns,
        jsonParam: PAYLOAD,
        missingDefault: false,
        onConflict: { columns: relation.primaryKey, action: "update" },
        returning,
      },
      params,
    ),
  );
}

/** PGRST204 for a payload key that is not a column. */
function checkColumns(relation: Relation, columns: readonly string[]): void {
  for (const column of columns) {
    if (!relation.columns.has(column)) {
      throw pgrst(
        "PGRST204",
        `Could not find the '${column}' column of '${relation.name}' in the schema cache`,
      );
    }
  }
}

function withoutRootFilters(query: QueryParams): QueryParams {
  const levels = new Map(query.levels);
  const root = levels.get("");
  if (root) levels.set("", { ...root, filters: [], logic: [] });
  return { ...query, levels };
}
