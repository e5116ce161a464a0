import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { toStorageError } from "../errors.js";
import type { ResumableUploads } from "../resumable.js";
import type { StorageDeps } from "../types.js";

/**
 * Resumable uploads (TUS 1.0.0) at `/upload/resumable` and, granted by an `x-signature` upload
 * token, `/upload/resumable/sign`: `POST` creates an upload, `HEAD` tells its offset, `PATCH`
 * appends a chunk, `DELETE` drops an unfinished one, `OPTIONS` describes the server. The tus
 * server answers them all; errors are plain text with their real status, as Supabase sends them.
 */
export function resumableRoutes(scope: FastifyInstance, deps: StorageDeps, uploads: ResumableUploads): void {
  const options = { config: { streamBody: true } };
  for (const signed of [false, true]) {
    const base = signed ? "/upload/resumable/sign" : "/upload/resumable";
    const create = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        await deps.uploadLimit.take(request);
      } catch (error) {
        return sendTusError(reply, error);
      }
      await uploads.handle(request, reply, { signed });
    };
    const existing = async (request: FastifyRequest, reply: FastifyReply) =>
      uploads.handle(request, reply, { signed, id: (request.params as { id: string }).id });
    scope.post(base, options, create);
    scope.options(base, options, (request, reply) => uploads.handle(request, reply, { signed }));
    scope.head(`${base}/:id`, options, existing);
    scope.patch(`${base}/:id`, options, existing);
    scope.delete(`${base}/:id`, options, existing);
    scope.options(`${base}/:id`, options, existing);
  }
}

/** A refusal before the tus server saw the request, in its form: text, the real status. */
function sendTusError(reply: FastifyReply, error: unknown): FastifyReply {
  const storageError = toStorageError(error);
  return reply
    .code(storageError.status)
    .headers({ ...storageError.headers, "tus-resumable": "1.0.0" })
    .type("text/plain; charset=utf-8")
    .send(storageError.message);
}
