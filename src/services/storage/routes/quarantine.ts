import type { FastifyInstance } from "fastify";
import { actorOf } from "../audit.js";
import { deleteQuarantined, listQuarantine, releaseQuarantined } from "../quarantine.js";
import type { StorageDeps } from "../types.js";
import { entryId, serviceRoleOnly } from "./service-role.js";

/**
 * Groundwork's quarantine, for the service role only: list, release (the file becomes the object
 * at its path) and delete.
 */
export function quarantineRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.get("/quarantine", async (request) => {
    serviceRoleOnly(request, "the quarantine");
    const bucket = (request.query as Record<string, unknown>).bucket;
    return listQuarantine(deps, typeof bucket === "string" ? bucket : undefined);
  });
  scope.post("/quarantine/:id/release", async (request) => {
    serviceRoleOnly(request, "the quarantine");
    const entry = await releaseQuarantined(deps, entryId(request), actorOf(request));
    return { message: "Successfully released", Key: `${entry.bucket_id}/${entry.name}` };
  });
  scope.delete("/quarantine/:id", async (request) => {
    serviceRoleOnly(request, "the quarantine");
    await deleteQuarantined(deps, entryId(request));
    return { message: "Successfully deleted" };
  });
}
