import type { FastifyReply } from "fastify";
import { pgrst } from "../errors.js";
import { readAccessible } from "../openapi/accessible.js";
import { openApiSpec } from "../openapi/spec.js";
import { executionFor, type RestRequest } from "../rest-request.js";

const PRODUCED = ["application/openapi+json", "application/json", "application/*", "*/*"];

/**
 * `GET /rest/v1/`: the OpenAPI 2.0 description of the request's schema (PostgREST's root
 * endpoint), listing only what the caller's role may use.
 */
export async function handleOpenApi(req: RestRequest, reply: FastifyReply): Promise<FastifyReply> {
  const accept = req.raw.headers.accept;
  const wanted = (accept ?? "*/*")
    .split(",")
    .map((entry) => entry.split(";")[0]?.trim().toLowerCase() ?? "")
    .filter((entry) => entry !== "");
  if (wanted.length > 0 && !wanted.some((type) => PRODUCED.includes(type))) {
    throw pgrst("PGRST107", `None of these media types are available: ${wanted.join(", ")}`);
  }
  const accessible = await readAccessible(executionFor(req, true));
  const forwarded = req.raw.headers["x-forwarded-proto"];
  const scheme =
    (Array.isArray(forwarded) ? forwarded[0] : forwarded) === "https" ? "https" : req.raw.protocol;
  const spec = openApiSpec(req.cache, req.schema, accessible, {
    scheme: scheme === "https" ? "https" : "http",
    host: req.raw.headers.host ?? "localhost",
    basePath: "/rest/v1",
  });
  if (req.profileChosen) reply.header("content-profile", req.schema);
  reply.code(200).header("content-type", "application/openapi+json; charset=utf-8");
  return req.method === "HEAD" ? reply.send() : reply.send(JSON.stringify(spec));
}
