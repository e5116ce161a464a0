import type { FastifyReply } from "fastify";
import { findRelation, type RestRequest } from "../rest-request.js";

/** OPTIONS on a relation: `Allow` from what the relation supports (reference §1). */
export function handleOptions(req: RestRequest, name: string, reply: FastifyReply): FastifyReply {
  const relation = findRelation(req, name);
  const allow = ["OPTIONS", "GET", "HEAD"];
  if (relation.insertable) allow.push("POST");
  if (relation.insertable && relation.updatable && relation.primaryKey.length > 0) allow.push("PUT");
  if (relation.updatable) allow.push("PATCH");
  if (relation.deletable) allow.push("DELETE");
  return reply.code(200).header("allow", allow.join(",")).send();
}
