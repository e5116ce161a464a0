import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { asCaller } from "../caller.js";
import { sendObject } from "../download.js";
import { errors } from "../errors.js";
import { verifyToken } from "../signed-url.js";
import { findObject } from "../sql/objects.js";
import { type ObjectRow, OPERATIONS, type Operation, type StorageDeps } from "../types.js";
import { bucketLimits } from "../upload.js";
import { downloadOption, objectPath } from "./object-path.js";

/**
 * Downloads and object info: authenticated (as the caller; a row RLS hides is `NoSuchKey`),
 * public (the bucket must be public; no policy asked) and signed (the token is the permission).
 */
export function objectReadRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  const authenticated = (headOnly: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const row = await callerObject(deps, request, OPERATIONS.getAuthenticated);
    return sendObject(deps, request, reply, row, {
      download: downloadOption(request),
      headOnly,
      via: "authenticated",
    });
  };
  const publicRead = (headOnly: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const row = await publicObject(deps, request);
    return sendObject(deps, request, reply, row, {
      download: downloadOption(request),
      headOnly,
      via: "public",
    });
  };
  for (const prefix of ["/object", "/object/authenticated"]) {
    scope.get(`${prefix}/:bucket/*`, { exposeHeadRoute: false }, authenticated(false));
    scope.head(`${prefix}/:bucket/*`, authenticated(true));
  }
  scope.get("/object/public/:bucket/*", { exposeHeadRoute: false }, publicRead(false));
  scope.head("/object/public/:bucket/*", publicRead(true));

  for (const prefix of ["/object/info", "/object/info/authenticated"]) {
    scope.get(`${prefix}/:bucket/*`, async (request) =>
      info(await callerObject(deps, request, OPERATIONS.infoAuthenticated)),
    );
  }
  scope.get("/object/info/public/:bucket/*", async (request) => info(await publicObject(deps, request)));

  scope.get("/object/sign/:bucket/*", { exposeHeadRoute: false }, async (request, reply) => {
    const { bucket, name } = objectPath(request);
    const token = (request.query as Record<string, unknown>).token;
    await verifyToken(
      deps.signingSecret,
      typeof token === "string" ? token : undefined,
      "download",
      `${bucket}/${name}`,
    );
    const row = await findObject(deps.db.admin, bucket, name);
    if (!row) throw errors.noSuchKey();
    return sendObject(deps, request, reply, row, { download: downloadOption(request), via: "signed" });
  });
}

/** The object as the caller sees it; `NoSuchBucket` / `NoSuchKey` otherwise. */
export async function callerObject(
  deps: StorageDeps,
  request: FastifyRequest,
  operation: Operation,
): Promise<ObjectRow> {
  const { bucket, name } = objectPath(request);
  await bucketLimits(deps, bucket);
  const row = await asCaller(deps, request, operation, (client) => findObject(client, bucket, name), {
    readOnly: true,
  });
  if (!row) throw errors.noSuchKey();
  return row;
}

/** An object of a public bucket, looked up without RLS; a private bucket is `NoSuchBucket`. */
export async function publicObject(deps: StorageDeps, request: FastifyRequest): Promise<ObjectRow> {
  const { bucket, name } = objectPath(request);
  const limits = await bucketLimits(deps, bucket);
  if (!limits.public) throw errors.noSuchBucket();
  const row = await findObject(deps.db.admin, bucket, name);
  if (!row) throw errors.noSuchKey();
  return row;
}

/** `info`'s body, as Supabase Storage's info renderer builds it. */
function info(row: ObjectRow): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    bucket_id: row.bucket_id,
    size: row.metadata?.size ?? null,
    content_type: row.metadata?.mimetype ?? null,
    cache_control: row.metadata?.cacheControl ?? null,
    etag: row.metadata?.eTag ?? null,
    metadata: row.user_metadata,
    last_modified: row.updated_at,
    created_at: row.created_at,
  };
}
