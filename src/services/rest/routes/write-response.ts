import type { FastifyReply } from "fastify";
import { quoteIdent } from "../../../db/sql.js";
import { pgrst } from "../errors.js";
import { execute, type Statement } from "../execute.js";
import { type Negotiated, negotiate } from "../media-types.js";
import type { QueryParams } from "../parse/ast.js";
import { buildReadPlan, type ReadNode, tableSource } from "../plan/read-plan.js";
import { preferenceApplied } from "../preferences.js";
import { applyHeaders, executionFor, type RestRequest } from "../request.js";
import { bindValues, type ValueSlots, valueSlots } from "../request-shape.js";
import { checkSingular, sendBody } from "../response.js";
import type { Relation } from "../schema-cache/types.js";
import type { Returning } from "../sql/mutate.js";
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
  const media = negotiate(req.raw.headers.accept);
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

/** Runs a compiled write and answers with PostgREST's status, headers and body (§5, §6). */
export async function runWrite(
  req: RestRequest,
  reply: FastifyReply,
  name: string,
  compiled: CompiledWrite,
  payload: string | null,
  filterValues: readonly string[] = [],
): Promise<FastifyReply> {
  const values = bindValues(compiled.statement.values, compiled.slots, filterValues);
  if (compiled.usesPayload) values[0] = payload;
  const strictMax = req.prefs.handling === "strict" ? req.prefs.maxAffected : null;
  const { result } = await execute(
    { text: compiled.statement.text, values },
    {
      ...executionFor(req, false),
      check: (r) => {
        if (compiled.returning === "representation") checkSingular(compiled.media, r);
        if (
          strictMax !== null &&
          (compiled.kind === "update" || compiled.kind === "delete") &&
          r.pageTotal > strictMax
        ) {
          throw pgrst(
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
            `The query affects ${r.pageTotal} rows`,
          );
        }
      },
    },
  );
  const affected = result.pageTotal;
  const inserted = Number(result.extra[0] ?? 0);
  const total = req.prefs.count === null ? "*" : String(affected);
  const representation = compiled.returning === "representation";
  let status: number;
  if (compiled.kind === "insert") {
    status =
      compiled.upsert && req.prefs.resolution === "merge-duplicates" && affected > 0 && inserted === 0
        ? 200
        : 201;
    reply.header("content-range", `*/${total}`);
  } else if (compiled.kind === "put") {
    status = representation ? (inserted > 0 ? 201 : 200) : 204;
  } else if (compiled.kind === "update") {
    status = representation ? 200 : 204;
    reply.header("content-range", affected > 0 ? `0-${affected - 1}/${total}` : `*/${total}`);
  } else {
    status = representation ? 200 : 204;
    reply.header("content-range", `*/${total}`);
  }
  const location = result.extra[1];
  if (compiled.returning === "headers-only" && typeof location === "string") {
    const key = JSON.parse(location) as Record<string, unknown>;
    const query = compiled.primaryKey
      .map((column) => `${encodeURIComponent(column)}=eq.${encodeURIComponent(String(key[column] ?? ""))}`)
      .join("&");
    reply.header("location", `/${name}?${query}`);
  }
  const applied = preferenceApplied(req.prefs, {
    resolution: compiled.upsert,
    missing: compiled.kind === "insert",
    return: true,
    count: true,
  });
  if (applied) reply.header("preference-applied", applied);
  applyHeaders(req, reply, result);
  return sendBody(
    reply,
    req.method,
    status,
    result,
    compiled.media.contentType,
    representation ? result.body : null,
  );
}
