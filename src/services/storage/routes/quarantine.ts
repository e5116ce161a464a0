import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireContext } from "../../../request/caller.js";
import { actorOf } from "../audit.js";
import { StorageError } from "../errors.js";
import { deleteQuarantined, listQuarantine, releaseQuarantined } from "../quarantine.js";
import type { StorageDeps } from "../types.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Groundwork's quarantine, for the service role only (an admin route: refused with a real 403,
 * as Supabase Storage refuses its admin routes): list, release (the file becomes the object at
 * its path) and delete.
 */
export function quarantineRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.get("/quarantine", async (request) => {
    serviceRoleOnly(request);
    const bucket = (request.query as Record<string, unknown>).bucket;
    return listQuarantine(deps, typeof bucket === "string" ? bucket : undefined);
  });
  scope.post("/quarantine/:id/release", async (request) => {
    serviceRoleOnly(request);
    const entry = await releaseQuarantined(deps, quarantineId(request), actorOf(request));
    return { message: "Successfully released", Key: `${entry.bucket_id}/${entry.name}` };
  });
  scope.delete("/quarantine/:id", async (request) => {
    serviceRoleOnly(request);
    await deleteQuarantined(deps, quarantineId(request));
    return { message: "Successfully deleted" };
  });
}

function serviceRoleOnly(request: FastifyRequest): void {
  if (requireContext(request).role !== "service_role") {
    throw new StorageError(
      "AccessDenied",
      403,
      "Only the service role may manage the quarantine",
      "Unauthorized",
      403,
    );
  }
}

function quarantineId(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  if (!UUID.test(id)) throw new StorageError("NoSuchKey", 404, "Object not found", "not_found");
  return id;
}
