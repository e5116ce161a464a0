import type { FastifyRequest } from "fastify";
import { requireContext } from "../../../request/caller.js";
import { StorageError } from "../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Groundwork's admin routes (quarantine, trash) are for the service role only: others are refused
 * with a real 403, as Supabase Storage refuses its admin routes.
 */
export function serviceRoleOnly(request: FastifyRequest, what: string): void {
  if (requireContext(request).role !== "service_role") {
    throw new StorageError(
      "AccessDenied",
      403,
      `Only the service role may manage ${what}`,
      "Unauthorized",
      403,
    );
  }
}

/** The `:id` of an admin route; an id that is not a uuid names nothing (`NoSuchKey`). */
export function entryId(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  if (!UUID.test(id)) throw new StorageError("NoSuchKey", 404, "Object not found", "not_found");
  return id;
}
