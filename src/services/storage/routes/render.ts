import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { actorOf, recordFileEvent } from "../audit.js";
import { errors } from "../errors.js";
import {
  MAX_SOURCE_BYTES,
  outputFormat,
  parseTransform,
  transformFromToken,
  transformImage,
} from "../image-transform.js";
import { RenderCache } from "../render-cache.js";
import { verifyToken } from "../signed-url.js";
import { findObject } from "../sql/objects.js";
import { type ObjectRow, OPERATIONS, type StorageDeps } from "../types.js";
import { objectPath } from "./object-path.js";
import { callerObject, publicObject } from "./object-read.js";

/**
 * Image transformation (`/render/image/{authenticated,public,sign}/…`): width, height, resize,
 * quality and format (WebP by `Accept`), with sharp; bounded source size and pixel count; results
 * kept in memory per object version.
 */
export function renderRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  const cache = new RenderCache();
  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    row: ObjectRow,
    params: Record<string, unknown>,
    via: string,
  ) => {
    const options = parseTransform(params);
    const format = outputFormat(options, request.headers.accept);
    if (Number(row.metadata?.size ?? 0) > MAX_SOURCE_BYTES) {
      throw errors.invalidRequest(`Images over ${MAX_SOURCE_BYTES / 1024 / 1024} MB cannot be transformed`);
    }
    if (!row.version) throw errors.noSuchKey();
    const key = `${row.bucket_id}/${row.name}@${row.version}?${JSON.stringify(options)}&${format}`;
    let result = cache.get(key);
    if (!result) {
      const chunks: Buffer[] = [];
      for await (const chunk of await deps.backend.read({
        bucket: row.bucket_id,
        name: row.name,
        version: row.version,
      })) {
        chunks.push(chunk as Buffer);
      }
      result = await transformImage(Buffer.concat(chunks), options, format);
      cache.set(key, result);
    }
    await recordFileEvent(
      deps,
      "DOWNLOAD",
      row.bucket_id,
      row.name,
      { version: row.version, via },
      actorOf(request),
    );
    return reply
      .code(200)
      .header("content-type", result.contentType)
      .header("content-length", String(result.body.length))
      .header("cache-control", row.metadata?.cacheControl ?? "no-cache")
      .header("vary", "Accept")
      .send(result.body);
  };
  const enabled = () => {
    if (!deps.config.storage.imageTransformation) throw errors.featureDisabled("image_transformation");
  };

  scope.get("/render/image/authenticated/:bucket/*", async (request, reply) => {
    enabled();
    const row = await callerObject(deps, request, OPERATIONS.renderAuthenticated);
    return render(request, reply, row, request.query as Record<string, unknown>, "render");
  });
  scope.get("/render/image/public/:bucket/*", async (request, reply) => {
    enabled();
    const row = await publicObject(deps, request);
    return render(request, reply, row, request.query as Record<string, unknown>, "render-public");
  });
  scope.get("/render/image/sign/:bucket/*", async (request, reply) => {
    enabled();
    const { bucket, name } = objectPath(request);
    const token = (request.query as Record<string, unknown>).token;
    const grant = await verifyToken(
      deps.signingSecret,
      typeof token === "string" ? token : undefined,
      "download",
      `${bucket}/${name}`,
    );
    const row = await findObject(deps.db.admin, bucket, name);
    if (!row) throw errors.noSuchKey();
    return render(request, reply, row, transformFromToken(grant.transformations ?? ""), "render-signed");
  });
}
