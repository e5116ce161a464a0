import type { FastifyInstance } from "fastify";
import { actorOf } from "../audit.js";
import { errors } from "../errors.js";
import { listTrash, purgeTrash, restoreTrashed } from "../trash.js";
import type { StorageDeps } from "../types.js";
import { entryId, serviceRoleOnly } from "./service-role.js";

/**
 * Groundwork's trash of soft-deleted objects, for the service role only: list, restore (the
 * object is back at its path) and purge one entry now.
 */
export function trashRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.get("/trash", async (request) => {
    serviceRoleOnly(request, "the trash");
    const bucket = (request.query as Record<string, unknown>).bucket;
    return listTrash(deps, typeof bucket === "string" ? bucket : undefined);
  });
  scope.post("/trash/:id/restore", async (request) => {
    serviceRoleOnly(request, "the trash");
    const entry = await restoreTrashed(deps, entryId(request), actorOf(request));
    return { message: "Successfully restored", Key: `${entry.bucket_id}/${entry.name}` };
  });
  scope.delete("/trash/:id", async (request) => {
    serviceRoleOnly(request, "the trash");
    const purged = await purgeTrash(deps, { ids: [entryId(request)] }, actorOf(request));
    if (purged.length === 0) throw errors.noSuchKey();
    return { message: "Successfully purged" };
  });
}
