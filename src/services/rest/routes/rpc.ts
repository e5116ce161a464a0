import type { FastifyReply } from "fastify";
import { contentTypeOf } from "../body.js";
import { compileCall } from "../compile/call.js";
import { pgrst } from "../errors.js";
import { execute } from "../execute.js";
import { parseQueryString } from "../parse/query-string.js";
import type { ArgumentBody } from "../plan/routine.js";
import { preferenceApplied } from "../preferences.js";
import { checkSingular, countTotal, readRange, sendBody, sendPlan } from "../response.js";
import { applyHeaders, executionFor, type RestRequest } from "../rest-request.js";

/** `/rpc/fn` by GET/HEAD (query-string arguments, read-only) or POST (body) — reference §8. */
export async function handleRpc(req: RestRequest, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const isPost = req.method === "POST";
  const query = parseQueryString(req.query, { rpc: !isPost });
  const { body, args, argNames } = isPost ? postArguments(req) : getArguments(query.rpcArgs);
  const key = [
    "rpc",
    req.method,
    req.schema,
    name,
    req.query,
    req.raw.headers.accept,
    req.prefs.count,
    body,
    // JSON, so that no arguments and the one unnamed argument ("") are different keys.
    JSON.stringify(argNames),
  ].join("\u0000");
  const compiled = req.deps.plans.get(key, () => compileCall(req, name, query, argNames, body));
  const strictMax = req.prefs.handling === "strict" ? req.prefs.maxAffected : null;
  if (strictMax !== null && !compiled.routine.setof) {
    throw pgrst(
      "PGRST128",
      "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
    );
  }
  const values = [...compiled.statement.values];
  if (compiled.usesArgs) values[0] = args;
  const { result, planned } = await execute(
    { text: compiled.statement.text, values },
    {
      ...executionFor(req, !isPost || compiled.routine.volatility !== "v"),
      plannedCount: compiled.planned,
      explain: compiled.media.plan,
      // Only a check that can fail: a write with one takes a second round trip.
      check:
        compiled.media.type === "object" || strictMax !== null
          ? (r) => {
              checkSingular(compiled.media, r);
              if (strictMax !== null && r.pageTotal > strictMax) {
                throw pgrst(
                  "PGRST124",
                  "Query result exceeds max-affected preference constraint",
                  `The query affects ${r.pageTotal} rows`,
                );
              }
            }
          : undefined,
    },
  );
  if (compiled.media.plan) return sendPlan(reply, compiled.media, result);
  const applied = preferenceApplied(req.prefs, { count: true });
  if (applied) reply.header("preference-applied", applied);
  if (compiled.routine.returns.kind === "void") {
    applyHeaders(req, reply, result);
    return sendBody(reply, req.method, 204, result, null, null);
  }
  const total = countTotal(req, result.total, planned);
  const { status, contentRange } = compiled.setResult
    ? readRange(compiled.offset, result.pageTotal, total)
    : { status: 200, contentRange: `0-${Math.max(result.pageTotal - 1, 0)}/${total ?? "*"}` };
  reply.header("content-range", contentRange);
  applyHeaders(req, reply, result);
  return sendBody(reply, req.method, status, result, compiled.media.contentType, result.body);
}

/** POST arguments: a JSON object's keys (or the raw body for text/xml/bytea single-parameter calls). */
function postArguments(req: RestRequest): { body: ArgumentBody; args: string | null; argNames: string[] } {
  const raw = req.raw.body;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : "";
  const type = contentTypeOf(req.raw.headers["content-type"]);
  if (type === "text/plain") return { body: "text", args: text, argNames: [] };
  if (type === "text/xml") return { body: "xml", args: text, argNames: [] };
  if (type === "application/octet-stream")
    return { body: "bytea", args: `\\x${(raw as Buffer).toString("hex")}`, argNames: [] };
  if (type === "application/x-www-form-urlencoded") {
    const object = Object.fromEntries(new URLSearchParams(text));
    return { body: "form", args: JSON.stringify(object), argNames: Object.keys(object) };
  }
  if (text.trim() === "") return { body: "json", args: "{}", argNames: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw pgrst("PGRST102", "Empty or invalid json");
  }
  const keys = typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  return { body: "json", args: text, argNames: keys };
}

/** GET arguments: non-filter query parameters; a repeated one becomes an array (VARIADIC). */
function getArguments(pairs: readonly (readonly [string, string])[]): {
  body: ArgumentBody;
  args: string;
  argNames: string[];
} {
  const object: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const existing = object[key];
    if (existing === undefined) object[key] = value;
    else object[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { body: "none", args: JSON.stringify(object), argNames: Object.keys(object) };
}
