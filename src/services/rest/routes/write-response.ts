import type { FastifyReply } from "fastify";
import type { CompiledWrite } from "../compile/write.js";
import { pgrst } from "../errors.js";
import { execute } from "../execute.js";
import { preferenceApplied } from "../preferences.js";
import { bindValues } from "../request-shape.js";
import { checkSingular, sendBody, sendPlan } from "../response.js";
import { applyHeaders, executionFor, type RestRequest } from "../rest-request.js";

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
  const singleObject = compiled.returning === "representation" && compiled.media.type === "object";
  const capped = strictMax !== null && (compiled.kind === "update" || compiled.kind === "delete");
  const { result } = await execute(
    { text: compiled.statement.text, values },
    {
      ...executionFor(req, false),
      explain: compiled.media.plan,
      check:
        singleObject || capped
          ? (r) => {
              if (singleObject) checkSingular(compiled.media, r);
              if (capped && r.pageTotal > (strictMax as number)) {
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
