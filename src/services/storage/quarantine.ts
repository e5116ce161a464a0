import type { Readable } from "node:stream";
import { type Actor, recordFileEvent } from "./audit.js";
import type { BlobKey } from "./backend/backend.js";
import { asPlatform } from "./caller.js";
import { errors } from "./errors.js";
import { type ClamdScanner, type InstreamScan, ScannerUnavailable, type ScanVerdict } from "./scanner.js";
import { findObject, lockKey, writeObjectRow } from "./sql/objects.js";
import type { StorageDeps } from "./types.js";

/** A quarantined file as listed to admins. */
export interface QuarantineEntry {
  readonly id: string;
  readonly bucket_id: string;
  readonly name: string;
  readonly version: string;
  readonly signature: string;
  readonly size: number | null;
  readonly mimetype: string | null;
  readonly owner_id: string | null;
  readonly role: string | null;
  readonly tenant_id: string | null;
  readonly client_ip: string | null;
  readonly request_id: string | null;
  readonly created_at: string;
}

/** How an upload fared with the scanner: stored with this mark in the object's metadata. */
export type ScanStatus = "clean" | "not_scanned";

/**
 * Scans an upload's written bytes when its bucket asks for it (`[storage.buckets.NAME] scan`):
 * takes the verdict of `live`, the scan that ran while the bytes were written, when there is one
 * and it finished, else reads the bytes back to clamd. Infected: the bytes go to the quarantine
 * and `VirusDetected` is thrown. Scanner unreachable: `ScannerUnavailable` (503) unless the
 * bucket accepts unscanned files. Returns the mark to store, or null when the bucket is not
 * scanned.
 */
export async function scanUpload(
  deps: StorageDeps,
  key: BlobKey,
  upload: { size: number; mimetype: string; actor: Actor },
  onQuarantined: () => void,
  live: InstreamScan | null = null,
): Promise<ScanStatus | null> {
  const security = deps.config.storage.server.buckets[key.bucket];
  if (!security?.scan) return null;
  let verdict: ScanVerdict;
  try {
    if (!deps.scanner) throw new ScannerUnavailable("no clamd configured ([storage.scan] clamd)");
    verdict = await scanVerdict(deps.scanner, live, () => deps.backend.read(key));
  } catch (error) {
    if (!(error instanceof ScannerUnavailable)) throw error;
    if (security.whenScannerUnavailable === "accept") return "not_scanned";
    throw errors.scannerUnavailable();
  }
  if (!verdict.infected) return "clean";
  await asPlatform(deps, async (client) => {
    await client.query(
      `insert into storage.groundwork_quarantine
         (bucket_id, name, version, signature, size, mimetype, owner_id, role, tenant_id, client_ip, request_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, '00000000-0000-0000-0000-000000000000')::uuid, $10, $11)`,
      [
        key.bucket,
        key.name,
        key.version,
        verdict.signature,
        upload.size,
        upload.mimetype,
        upload.actor.sub,
        upload.actor.role,
        upload.actor.tenant_id,
        upload.actor.ip,
        upload.actor.request_id,
      ],
    );
    // The bytes are the quarantine's now: off the ledger, so no sweep deletes them.
    await deps.looseBlobs.settle(client, [key]);
    await recordFileEvent(
      deps,
      "QUARANTINE",
      key.bucket,
      key.name,
      { version: key.version, signature: verdict.signature },
      upload.actor,
      client,
    );
  });
  onQuarantined();
  throw errors.infected(verdict.signature);
}

/** The live scan's verdict; when clamd broke off midway, a second try from the written bytes. */
async function scanVerdict(
  scanner: ClamdScanner,
  live: InstreamScan | null,
  written: () => Promise<Readable>,
): Promise<ScanVerdict> {
  if (live) {
    try {
      return await live.verdict();
    } catch (error) {
      if (!(error instanceof ScannerUnavailable)) throw error;
    }
  }
  return scanner.scan(await written());
}

/** Every quarantined file, newest first (optionally of one bucket). */
export async function listQuarantine(deps: StorageDeps, bucket?: string): Promise<QuarantineEntry[]> {
  const { rows } = await deps.db.admin.query<QuarantineEntry>(
    `select id, bucket_id, name, version, signature, size::float8 as size, mimetype, owner_id, role, tenant_id,
            client_ip, request_id, created_at
     from storage.groundwork_quarantine where $1::text is null or bucket_id = $1 order by created_at desc`,
    [bucket ?? null],
  );
  return rows;
}

/**
 * Releases a quarantined file: its bytes become the object at its path (replacing what is there),
 * for a file an admin judged a false positive.
 */
export async function releaseQuarantined(
  deps: StorageDeps,
  id: string,
  actor: Actor,
): Promise<QuarantineEntry> {
  let replaced: BlobKey | null = null;
  const entry = await asPlatform(deps, async (client) => {
    const { rows } = await client.query<QuarantineEntry>(
      "delete from storage.groundwork_quarantine where id = $1 returning *",
      [id],
    );
    const found = rows[0];
    if (!found) throw errors.noSuchKey();
    await lockKey(client, found.bucket_id, found.name);
    const existing = await findObject(client, found.bucket_id, found.name, { forUpdate: true });
    replaced = existing?.version
      ? { bucket: found.bucket_id, name: found.name, version: existing.version }
      : null;
    const size = Number(found.size ?? 0);
    await writeObjectRow(
      client,
      {
        bucket: found.bucket_id,
        name: found.name,
        version: found.version,
        owner: found.owner_id,
        metadata: {
          eTag: `"${found.version}"`,
          size,
          mimetype: found.mimetype ?? "application/octet-stream",
          cacheControl: "no-cache",
          lastModified: new Date().toUTCString(),
          contentLength: size,
          httpStatusCode: 200,
        },
        userMetadata: null,
      },
      true,
    );
    await recordFileEvent(
      deps,
      "UPLOAD",
      found.bucket_id,
      found.name,
      { version: found.version, released: id },
      actor,
      client,
    );
    return found;
  });
  if (replaced) await deps.looseBlobs.discard([replaced]);
  return entry;
}

/** Deletes a quarantined file and its bytes. */
export async function deleteQuarantined(deps: StorageDeps, id: string): Promise<void> {
  const found = await asPlatform(deps, async (client) => {
    const { rows } = await client.query<QuarantineEntry>(
      "delete from storage.groundwork_quarantine where id = $1 returning *",
      [id],
    );
    if (!rows[0]) throw errors.noSuchKey();
    // Back on the ledger in the same transaction: if the delete below fails, the sweep retries.
    await client.query(
      `insert into storage.groundwork_loose_blobs (bucket_id, name, version, server_lock) values ($1, $2, $3, $4)
       on conflict do nothing`,
      [rows[0].bucket_id, rows[0].name, rows[0].version, deps.looseBlobs.lockKey],
    );
    return rows[0];
  });
  await deps.looseBlobs.discard([{ bucket: found.bucket_id, name: found.name, version: found.version }]);
}
