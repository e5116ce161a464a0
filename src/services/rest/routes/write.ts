import type { FastifyReply } from "fastify";
import { parsePayload, payloadColumns } from "../body.js";
import {
  type CompiledWrite,
  compileDelete,
  compileInsert,
  compilePut,
  compileUpdate,
  type WriteKind,
} from "../compile/write.js";
import { pgrst } from "../errors.js";
import type { QueryParams } from "../parse/ast.js";
import { parseQueryString } from "../parse/query-string.js";
import { queryShape } from "../request-shape.js";
import { findRelation, type RestRequest } from "../rest-request.js";
import type { Relation } from "../schema-cache/types.js";
import { runWrite } from "./write-response.js";

/** POST /table: insert or upsert (reference §6.1). */
export async function handleInsert(
  req: RestRequest,
  name: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const payload = parsePayload(req.raw.body, req.raw.headers["content-type"]);
  const query = parseQueryString(req.query, { rpc: false });
  const columns = payloadColumns(payload, query.columns);
  const compiled = cached(req, "insert", name, columns, req.query, () =>
    compileInsert(req, relation, query, columns),
  );
  return runWrite(req, reply, name, compiled, payload.json);
}

/** PATCH /table?filters: update the filtered rows with the body's keys (reference §6.2). */
export async function handleUpdate(
  req: RestRequest,
  name: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const payload = parsePayload(req.raw.body, req.raw.headers["content-type"]);
  if (!payload.single && payload.rows.length !== 1) throw pgrst("PGRST102", "Empty or invalid json");
  const shape = queryShape(req.query);
  const query = parseQueryString(shape.query, { rpc: false });
  const columns = payloadColumns(payload, query.columns);
  const compiled = cached(req, "update", name, columns, shape.query, () =>
    compileUpdate(req, relation, query, columns),
  );
  const row = payload.rows[0] ?? {};
  return runWrite(req, reply, name, compiled, JSON.stringify(row), shape.values);
}

/** DELETE /table?filters (reference §6.2). */
export async function handleDelete(
  req: RestRequest,
  name: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const shape = queryShape(req.query);
  const query = parseQueryString(shape.query, { rpc: false });
  const compiled = cached(req, "delete", name, [], shape.query, () => compileDelete(req, relation, query));
  return runWrite(req, reply, name, compiled, null, shape.values);
}

/**
 * PUT /table?pk=eq.v: single-row upsert. Filters must be `eq` on exactly the primary key
 * (PGRST105) and the body must carry the same key values (PGRST115); no limit/offset (PGRST114).
 */
export async function handlePut(req: RestRequest, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const payload = parsePayload(req.raw.body, req.raw.headers["content-type"]);
  const query = parseQueryString(req.query, { rpc: false });
  const root = query.levels.get("");
  if (root && (root.limit !== null || root.offset !== null)) {
    throw pgrst("PGRST114", "limit/offset querystring parameters are not allowed for PUT");
  }
  const pkValues = putKey(relation, query);
  const [row] = payload.rows;
  if (payload.rows.length !== 1 || !row) throw pgrst("PGRST102", "Empty or invalid json");
  for (const [column, value] of pkValues) {
    const given = row[column];
    if (given === undefined || given === null || String(given) !== value) {
      throw pgrst("PGRST115", "Payload values do not match URL in primary key column(s)");
    }
  }
  const columns = payloadColumns(payload, query.columns);
  const compiled = cached(req, "put", name, columns, req.query, () =>
    compilePut(req, relation, query, columns),
  );
  return runWrite(req, reply, name, compiled, payload.json);
}

function cached(
  req: RestRequest,
  kind: WriteKind,
  name: string,
  columns: readonly string[],
  query: string,
  build: () => CompiledWrite,
): CompiledWrite {
  const headers = req.raw.headers;
  const key = [kind, req.schema, name, query, headers.accept, headers.prefer, columns.join("\u0001")].join(
    "\u0000",
  );
  return req.deps.plans.get(key, build);
}

function putKey(relation: Relation, query: QueryParams): [string, string][] {
  const root = query.levels.get("");
  const filters = root?.filters ?? [];
  const invalid = () =>
    pgrst("PGRST105", "Filters must include all and only primary key columns with 'eq' operators");
  if (
    (root?.logic.length ?? 0) > 0 ||
    filters.length !== relation.primaryKey.length ||
    filters.length === 0
  ) {
    throw invalid();
  }
  const values: [string, string][] = [];
  for (const filter of filters) {
    const op = filter.expr.operation;
    if (filter.expr.negated || op.kind !== "simple" || op.operator !== "eq" || op.quantifier !== null)
      throw invalid();
    if (filter.field.json.length > 0 || !relation.primaryKey.includes(filter.field.name)) throw invalid();
    values.push([filter.field.name, op.value]);
  }
  if (new Set(values.map(([c]) => c)).size !== relation.primaryKey.length) throw invalid();
  return values;
}
