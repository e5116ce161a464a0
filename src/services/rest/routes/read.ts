import type { FastifyReply } from "fastify";
import { compileTableRead } from "../compile/read.js";
import { pgrst } from "../errors.js";
import { execute } from "../execute.js";
import { preferenceApplied } from "../preferences.js";
import { bindValues, canonicalQuery, queryShape } from "../request-shape.js";
import { checkSingular, countTotal, readRange, sendBody, sendPlan } from "../response.js";
import { applyHeaders, executionFor, findRelation, type RestRequest } from "../rest-request.js";

/** GET/HEAD on a table or view (reference §3-§5). */
export async function handleRead(req: RestRequest, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const relation = findRelation(req, name);
  const accept = req.raw.headers.accept;
  const range = req.method === "GET" ? requestRange(req.raw.headers.range) : null;
  // Requests that differ only in simple filter values share one plan (and prepared statement).
  const shape = queryShape(req.query);
  const key = ["read", req.schema, name, shape.query, accept, req.prefs.count, range?.join("-")].join(
    "\u0000",
  );
  const compiled = req.deps.plans.get(key, () => compileTableRead(req, relation, shape.query, range));
  const statement = {
    text: compiled.statement.text,
    values: bindValues(compiled.statement.values, compiled.slots, shape.values),
  };
  const plannedCount = compiled.planned && {
    text: compiled.planned.text,
    values: bindValues(compiled.planned.values, compiled.plannedSlots, shape.values),
  };
  const { result, planned } = await execute(statement, {
    ...executionFor(req, true),
    plannedCount,
    explain: compiled.media.plan,
    check: (r) => checkSingular(compiled.media, r),
  });
  if (compiled.media.plan) return sendPlan(reply, compiled.media, result);
  const total = countTotal(req, result.total, planned);
  const { status, contentRange } = readRange(compiled.offset, result.pageTotal, total);
  reply.header("content-range", contentRange);
  const canonical = canonicalQuery(req.query);
  reply.header("content-location", `/${name}${canonical === "" ? "" : `?${canonical}`}`);
  const applied = preferenceApplied(req.prefs, { count: true });
  if (applied) reply.header("preference-applied", applied);
  applyHeaders(req, reply, result);
  return sendBody(reply, req.method, status, result, compiled.media.contentType, result.body);
}

/** The `Range: from-to` header (GET only); anything that does not match the pattern is ignored. */
function requestRange(header: string | undefined): [number, number | null] | null {
  const match = header === undefined ? null : /^(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const from = Number(match[1]);
  const to = match[2] === "" ? null : Number(match[2]);
  if (to !== null && from > to) {
    throw pgrst(
      "PGRST103",
      "Requested range not satisfiable",
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  return [from, to];
}
