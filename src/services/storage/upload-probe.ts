import type { FastifyRequest } from "fastify";
import { asCaller } from "./caller.js";
import { writeObjectRow } from "./sql/objects.js";
import type { Operation, StorageDeps } from "./types.js";

/**
 * The permission probe: the row write an upload will make, as the caller, rolled back — so RLS
 * refuses the upload before a byte is stored (an existing key gives 409 the same way).
 */
export async function probeUpload(
  deps: StorageDeps,
  request: FastifyRequest,
  operation: Operation,
  target: { bucket: string; name: string; owner: string | null; upsert: boolean },
): Promise<void> {
  await asCaller(
    deps,
    request,
    operation,
    (client) =>
      writeObjectRow(
        client,
        {
          bucket: target.bucket,
          name: target.name,
          version: "probe",
          owner: target.owner,
          metadata: {},
          userMetadata: null,
        },
        target.upsert,
      ),
    { rollback: true },
  );
}
