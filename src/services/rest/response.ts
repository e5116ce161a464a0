import type { FastifyReply } from "fastify";
import { maxRows } from "./compile/read.js";
import { pgrst } from "./errors.js";
import type { MainResult } from "./execute.js";
import type { Negotiated } from "./media-types.js";
import type { RestRequest } from "./rest-request.js";

/**
 * Content-Range and status of a read (reference §5): `lower-upper/total`, `*` for an empty page
 * or an uncounted total; 416 when the offset is past the counted total, 206 when the page is
 * smaller than the total, 200 otherwise.
 */
export function readRange(
  offset: number,
  pageTotal: number,
  total: number | null,
): { status: number; contentRange: string } {
  const upper = offset + pageTotal - 1;
  const range = pageTotal > 0 && total !== 0 ? `${offset}-${upper}` : "*";
  const contentRange = `${range}/${total ?? "*"}`;
  if (total === null) return { status: 200, contentRange };
  if (offset > total) {
    throw pgrst(
      "PGRST103",
      "Requested range not satisfiable",
      `An offset of ${offset} was requested, but there are only ${total} rows.`,
    );
  }
  if (1 + upper - offset < total) return { status: 206, contentRange };
  return { status: 200, contentRange };
}

/** PGRST116 when an object was asked for and the result is not exactly one row. */
export function checkSingular(media: Negotiated, result: MainResult): void {
  if (media.type === "object" && result.pageTotal !== 1) {
    throw pgrst(
      "PGRST116",
      "Cannot coerce the result to a single JSON object",
      `The result contains ${result.pageTotal} rows`,
    );
  }
}

/**
 * Sends a body built by Postgres as it is (no JSON.parse/stringify); HEAD sends the headers
 * only. `response.status` from the database wins over `status`.
 */
export function sendBody(
  reply: FastifyReply,
  method: string,
  status: number,
  result: MainResult | null,
  contentType: string | null,
  body: string | null,
): FastifyReply {
  reply.code(result?.status ?? status);
  if (body === null || reply.statusCode === 204) return reply.send();
  if (contentType && !reply.hasHeader("content-type")) reply.header("content-type", contentType);
  if (method === "HEAD") {
    reply.header("content-length", Buffer.byteLength(body));
    return reply.send();
  }
  return reply.send(body);
}

/** `count=estimated`: the exact count up to max-rows, the planner's estimate above it. */
export function countTotal(req: RestRequest, exact: number | null, planned: number | null): number | null {
  if (req.prefs.count === "planned") return planned;
  if (req.prefs.count === "estimated") {
    const cap = maxRows(req);
    return planned !== null && cap !== null && planned > cap ? planned : exact;
  }
  return exact;
}

/** A plan response (`application/vnd.pgrst.plan`): 200 with the plan's own Content-Type only. */
export function sendPlan(reply: FastifyReply, media: Negotiated, result: MainResult): FastifyReply {
  return reply.status(200).header("content-type", media.contentType).send(result.body);
}
