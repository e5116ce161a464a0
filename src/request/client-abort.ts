import type { FastifyRequest } from "fastify";

/**
 * True when the client closed its connection before its request was read or answered (a
 * browser tab closed mid-upload, a timeout on the client's side). Nothing went wrong on the
 * server's side and there is no one to answer: error handlers log it at debug level, not as an
 * error, and the request log line says `aborted`.
 */
export function clientAborted(request: FastifyRequest, error?: unknown): boolean {
  if (request.raw.socket?.destroyed === true && !request.raw.complete) return true;
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === "ECONNRESET" || code === "ECONNABORTED";
}
