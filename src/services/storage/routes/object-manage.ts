import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { actorOf, recordFileEvent, recordFileEvents } from "../audit.js";
import { BlobNotFound } from "../backend/backend.js";
import { asCaller, asPlatform, callerSub } from "../caller.js";
import { errors } from "../errors.js";
import { mustBeValidBucketName, mustBeValidKey } from "../keys.js";
import {
  deleteObjects,
  findObject,
  lockKey,
  renameObject,
  searchObjects,
  writeObjectRow,
} from "../sql/objects.js";
import { softDeleteDays, softDeleteDetail, trashSettings } from "../trash.js";
import { OPERATIONS, type StorageDeps } from "../types.js";
import { bucketLimits } from "../upload.js";
import { bodyInteger, bodyString, jsonBody } from "./input.js";
import { objectPath } from "./object-path.js";

const LIST_SORT_COLUMNS = new Set(["name", "updated_at", "created_at", "last_accessed_at"]);
/** Bulk requests are limited to this many objects, as Supabase limits them. */
const MAX_OBJECTS_PER_REQUEST = 1000;

/** `list`, `remove`, single delete, `move` and `copy`. */
export function objectManageRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.post("/object/list/:bucket", async (request) => {
    const { bucket } = request.params as { bucket: string };
    mustBeValidBucketName(bucket);
    const body = jsonBody(request);
    if (body.prefix !== undefined && typeof body.prefix !== "string") throw errors.invalidParameter("prefix");
    let prefix = (body.prefix as string | undefined) ?? "";
    if (prefix.length > 0 && !prefix.endsWith("/")) prefix = `${prefix}/`;
    const sortBy = (body.sortBy ?? {}) as Record<string, unknown>;
    const column = sortBy.column ?? "name";
    if (typeof column !== "string" || !LIST_SORT_COLUMNS.has(column))
      throw errors.invalidParameter("sortBy.column");
    const order = sortBy.order ?? "asc";
    if (order !== "asc" && order !== "desc") throw errors.invalidParameter("sortBy.order");
    if (body.search !== undefined && typeof body.search !== "string") throw errors.invalidParameter("search");
    const options = {
      prefix,
      limit: bodyInteger(body, "limit", 1),
      offset: bodyInteger(body, "offset"),
      search: body.search as string | undefined,
      sortColumn: column,
      sortOrder: order,
    };
    return asCaller(deps, request, OPERATIONS.list, (client) => searchObjects(client, bucket, options), {
      readOnly: true,
    });
  });

  scope.delete("/object/:bucket", async (request) => {
    const { bucket } = request.params as { bucket: string };
    mustBeValidBucketName(bucket);
    const prefixes = jsonBody(request).prefixes;
    if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== "string")) {
      throw errors.invalidParameter("prefixes");
    }
    if (prefixes.length < 1 || prefixes.length > MAX_OBJECTS_PER_REQUEST) {
      throw errors.invalidRequest(
        `Bulk object requests are limited to ${MAX_OBJECTS_PER_REQUEST} objects per request.`,
      );
    }
    return removeObjects(deps, request, bucket, prefixes as string[], OPERATIONS.deleteObjects);
  });

  scope.delete("/object/:bucket/*", async (request) => {
    const { bucket, name } = objectPath(request);
    await bucketLimits(deps, bucket);
    const deleted = await removeObjects(deps, request, bucket, [name], OPERATIONS.deleteObject);
    if (deleted.length === 0) throw errors.accessDenied();
    return { message: "Successfully deleted" };
  });

  scope.post("/object/move", (request) => relocate(deps, request, "move"));
  scope.post("/object/copy", (request) => relocate(deps, request, "copy"));
}

/**
 * Deletes as the caller (rows it may not delete are skipped), then their bytes; in a bucket with
 * soft delete the rows go to the trash with their bytes instead (trash.ts).
 */
async function removeObjects(
  deps: StorageDeps,
  request: FastifyRequest,
  bucket: string,
  names: string[],
  operation: typeof OPERATIONS.deleteObjects | typeof OPERATIONS.deleteObject,
) {
  const days = await softDeleteDays(deps, bucket);
  const rows = await asCaller(deps, request, operation, (client) => deleteObjects(client, bucket, names), {
    settings: trashSettings(days),
  });
  await recordFileEvents(
    deps,
    "REMOVE",
    bucket,
    rows.map((row) => ({ name: row.name, detail: { version: row.version, ...softDeleteDetail(days) } })),
    actorOf(request),
  );
  if (!days) {
    await deps.looseBlobs.discard(
      rows.flatMap((row) => (row.version ? [{ bucket, name: row.name, version: row.version }] : [])),
    );
  }
  return rows;
}

/**
 * `move` and `copy`: the caller's rights are checked as the caller (select the source; the
 * update or insert the destination needs, rolled back), the bytes are copied to a new version
 * under the destination, then the rows are written on the platform pool.
 */
async function relocate(deps: StorageDeps, request: FastifyRequest, kind: "move" | "copy") {
  const body = jsonBody(request);
  const sourceBucket = bodyString(body, "bucketId");
  const sourceKey = bodyString(body, "sourceKey");
  const destinationKey = bodyString(body, "destinationKey");
  const destinationBucket =
    body.destinationBucket === undefined ? sourceBucket : bodyString(body, "destinationBucket");
  mustBeValidBucketName(sourceBucket);
  mustBeValidBucketName(destinationBucket);
  mustBeValidKey(sourceKey);
  mustBeValidKey(destinationKey);
  await bucketLimits(deps, sourceBucket);
  await bucketLimits(deps, destinationBucket);
  const upsert = request.headers["x-upsert"] === "true";
  const owner = callerSub(request);
  const operation = kind === "move" ? OPERATIONS.move : OPERATIONS.copyObject;
  const source = await asCaller(
    deps,
    request,
    operation,
    async (client) => {
      const row = await findObject(client, sourceBucket, sourceKey);
      if (!row) throw errors.noSuchKey();
      const destination = { bucket: destinationBucket, name: destinationKey, version: "probe" };
      if (kind === "move") {
        if (!(await renameObject(client, { bucket: sourceBucket, name: sourceKey }, destination, owner))) {
          throw errors.noSuchKey();
        }
      } else {
        await writeObjectRow(
          client,
          { ...destination, owner, metadata: {}, userMetadata: row.user_metadata },
          upsert,
        );
      }
      return row;
    },
    { rollback: true },
  );
  if (!source.version) throw errors.noSuchKey();
  const to = { bucket: destinationBucket, name: destinationKey, version: randomUUID() };
  await deps.looseBlobs.willWrite([to]);
  let saved: Awaited<ReturnType<typeof findObject>>;
  let replaced: string | null = null;
  try {
    await deps.backend.copy({ bucket: sourceBucket, name: sourceKey, version: source.version }, to);
    saved = await asPlatform(deps, async (client) => {
      await lockKey(client, destinationBucket, destinationKey);
      const current = await findObject(client, sourceBucket, sourceKey, { forUpdate: true });
      if (!current || current.version !== source.version) throw errors.noSuchKey();
      const existing = await findObject(client, destinationBucket, destinationKey, { forUpdate: true });
      if (existing && (kind === "move" || !upsert)) throw errors.keyAlreadyExists();
      replaced = existing?.version ?? null;
      const row =
        kind === "move"
          ? await renameObject(client, { bucket: sourceBucket, name: sourceKey }, to, owner)
          : await writeObjectRow(
              client,
              { ...to, owner, metadata: current.metadata ?? {}, userMetadata: current.user_metadata },
              upsert,
            );
      if (!(await deps.looseBlobs.settle(client, [to]))) throw new Error("the copied bytes were swept");
      await recordFileEvent(
        deps,
        kind === "move" ? "MOVE" : "COPY",
        destinationBucket,
        destinationKey,
        { version: to.version, from: `${sourceBucket}/${sourceKey}`, replaced },
        actorOf(request),
        client,
      );
      return row;
    });
  } catch (error) {
    await deps.looseBlobs.discard([to]);
    // The source was replaced or removed while its bytes were being copied.
    if (error instanceof BlobNotFound) throw errors.noSuchKey();
    throw error;
  }
  if (replaced)
    await deps.looseBlobs.discard([{ bucket: destinationBucket, name: destinationKey, version: replaced }]);
  if (kind === "move") {
    await deps.looseBlobs.discard([{ bucket: sourceBucket, name: sourceKey, version: source.version }]);
    return { message: "Successfully moved", Id: saved?.id, Key: `${destinationBucket}/${destinationKey}` };
  }
  return { Id: saved?.id, Key: `${destinationBucket}/${destinationKey}` };
}
