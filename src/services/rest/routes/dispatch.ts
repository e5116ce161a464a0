import type { FastifyReply, FastifyRequest } from "fastify";
import { pgrst } from "../errors.js";
import { type RestDeps, restRequest } from "../rest-request.js";
import { handleOpenApi } from "./openapi.js";
import { handleOptions } from "./options.js";
import { handleRead } from "./read.js";
import { handleRpc } from "./rpc.js";
import { handleDelete, handleInsert, handlePut, handleUpdate } from "./write.js";

/**
 * The route table of `/rest/v1` (reference §1): `/` (the OpenAPI description), `/<relation>` and
 * `/rpc/<function>`, each method to its handler; anything deeper is PGRST125, an unsupported method PGRST117 (PGRST101 on RPC).
 */
export function dispatch(deps: RestDeps) {
  return async function restRoute(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = (request.params as { "*"?: string })["*"] ?? "";
    const segments = path.split("/").map((segment) => safeDecode(segment));
    if (segments.length === 1 && segments[0] === "") {
      const root = restRequest(request, deps);
      if (request.method === "GET" || request.method === "HEAD") return handleOpenApi(root, reply);
      if (request.method === "OPTIONS") return reply.code(200).header("allow", "OPTIONS,GET,HEAD").send();
      throw pgrst("PGRST117", `Unsupported HTTP method: ${request.method}`);
    }
    if (segments.some((segment) => segment === "") || segments.length > 2) {
      throw pgrst("PGRST125", "Invalid path specified in request URL");
    }
    const req = restRequest(request, deps);
    if (segments.length === 2) {
      if (segments[0] !== "rpc") throw pgrst("PGRST125", "Invalid path specified in request URL");
      const name = segments[1] as string;
      switch (request.method) {
        case "GET":
        case "HEAD":
        case "POST":
          return handleRpc(req, name, reply);
        case "OPTIONS":
          return reply.code(200).header("allow", "OPTIONS,GET,HEAD,POST").send();
        default:
          throw pgrst("PGRST101", `Cannot use the ${request.method} method on RPC`);
      }
    }
    const name = segments[0] as string;
    switch (request.method) {
      case "GET":
      case "HEAD":
        return handleRead(req, name, reply);
      case "POST":
        return handleInsert(req, name, reply);
      case "PATCH":
        return handleUpdate(req, name, reply);
      case "PUT":
        return handlePut(req, name, reply);
      case "DELETE":
        return handleDelete(req, name, reply);
      case "OPTIONS":
        return handleOptions(req, name, reply);
      default:
        throw pgrst("PGRST117", `Unsupported HTTP method: ${request.method}`);
    }
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
