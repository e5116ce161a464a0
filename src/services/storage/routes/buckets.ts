import type { FastifyInstance } from "fastify";
import { actorOf, recordFileEvents } from "../audit.js";
import { parseAllowedMimeTypes, parseFileSizeLimit, parseSoftDeleteDays } from "../bucket-rules.js";
import { asCaller, callerSub } from "../caller.js";
import { errors } from "../errors.js";
import { mustBeValidBucketName } from "../keys.js";
import { deleteBucket, findBucket, insertBucket, listBuckets, updateBucket } from "../sql/buckets.js";
import { deleteAllObjects } from "../sql/objects.js";
import { storeSoftDeleteDays } from "../sql/trash.js";
import { softDeleteDays, softDeleteDetail, trashSettings } from "../trash.js";
import { OPERATIONS, type StorageDeps } from "../types.js";
import { jsonBody, queryInteger, queryString } from "./input.js";

/** `/bucket` routes (reference/storage.md §2 "Buckets"): all run as the caller under RLS. */
export function bucketRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.get("/bucket", async (request) => {
    const query = request.query as Record<string, unknown>;
    return asCaller(deps, request, OPERATIONS.listBuckets, (client) =>
      listBuckets(client, {
        limit: queryInteger(query, "limit"),
        offset: queryInteger(query, "offset"),
        search: queryString(query, "search"),
        sortColumn: queryString(query, "sortColumn"),
        sortOrder: queryString(query, "sortOrder"),
      }),
    );
  });

  scope.get("/bucket/:id", async (request) => {
    const { id } = request.params as { id: string };
    const bucket = await asCaller(deps, request, OPERATIONS.getBucket, (client) => findBucket(client, id));
    if (!bucket) throw errors.noSuchBucket();
    return bucket;
  });

  scope.post("/bucket", async (request) => {
    const body = jsonBody(request);
    const id = body.id ?? body.name;
    mustBeValidBucketName(id);
    if (id.trim() !== id) throw errors.invalidBucketName();
    const values = {
      public: body.public === undefined ? false : Boolean(body.public),
      fileSizeLimit: parseFileSizeLimit(body.file_size_limit),
      allowedMimeTypes: parseAllowedMimeTypes(body.allowed_mime_types),
    };
    const type = body.type === undefined ? "STANDARD" : body.type;
    if (type !== "STANDARD") throw errors.featureDisabled(`${String(type).toLowerCase()}_buckets`);
    const softDelete = parseSoftDeleteDays(body.soft_delete_days);
    const owner = callerSub(request);
    await asCaller(deps, request, OPERATIONS.createBucket, (client) =>
      insertBucket(client, id, owner, values),
    );
    // Groundwork's extension, stored beside the bucket once the caller was allowed to create it.
    if (softDelete !== undefined) await storeSoftDeleteDays(deps.db.admin, id, softDelete);
    return { name: id };
  });

  scope.put("/bucket/:id", async (request) => {
    const { id } = request.params as { id: string };
    mustBeValidBucketName(id);
    const body = jsonBody(request);
    const values = {
      public: body.public === undefined ? undefined : Boolean(body.public),
      fileSizeLimit: parseFileSizeLimit(body.file_size_limit),
      allowedMimeTypes: parseAllowedMimeTypes(body.allowed_mime_types),
    };
    const softDelete = parseSoftDeleteDays(body.soft_delete_days);
    const updated = await asCaller(deps, request, OPERATIONS.updateBucket, (client) =>
      updateBucket(client, id, values),
    );
    if (!updated) throw errors.noSuchBucket();
    if (softDelete !== undefined) await storeSoftDeleteDays(deps.db.admin, id, softDelete);
    return { message: "Successfully updated" };
  });

  scope.post("/bucket/:id/empty", async (request) => {
    const { id } = request.params as { id: string };
    const days = await softDeleteDays(deps, id);
    const deleted = await asCaller(
      deps,
      request,
      OPERATIONS.emptyBucket,
      async (client) => {
        if (!(await findBucket(client, id))) throw errors.noSuchBucket();
        const rows = await deleteAllObjects(client, id);
        return rows.flatMap((row) =>
          row.version ? [{ bucket: id, name: row.name, version: row.version }] : [],
        );
      },
      { settings: trashSettings(days) },
    );
    // Emptied at once; Supabase queues it and words the answer so (reference/storage.md §2).
    await recordFileEvents(
      deps,
      "REMOVE",
      id,
      deleted.map((key) => ({
        name: key.name,
        detail: { version: key.version, via: "empty", ...softDeleteDetail(days) },
      })),
      actorOf(request),
    );
    // Soft delete: the bytes stay with the rows in the trash.
    if (!days) await deps.looseBlobs.discard(deleted);
    return { message: "Empty bucket has been queued. Completion may take up to an hour." };
  });

  scope.delete("/bucket/:id", async (request) => {
    const { id } = request.params as { id: string };
    const deleted = await asCaller(deps, request, OPERATIONS.deleteBucket, async (client) => {
      try {
        return await deleteBucket(client, id);
      } catch (error) {
        // The objects' foreign key sees every object, whoever may see them: a bucket with any
        // object cannot go, with no window for an upload to slip in.
        if ((error as { code?: string }).code === "23503") throw errors.bucketNotEmpty();
        throw error;
      }
    });
    if (!deleted) throw errors.noSuchBucket();
    return { message: "Successfully deleted" };
  });
}
