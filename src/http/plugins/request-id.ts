import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed `x-request-id` from the client (or a proxy), otherwise makes a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && INCOMING_ID.test(value) ? value : randomUUID();
}

/** Echoes the request id on every response so a client can quote it in a bug report. */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
}
