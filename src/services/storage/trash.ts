import { type Actor, recordFileEvent, recordFileEventsIn } from "./audit.js";
import type { BlobKey } from "./backend/backend.js";
import { asPlatform } from "./caller.js";
import { errors } from "./errors.js";
import { findBucket } from "./sql/buckets.js";
import { findObject, lockKey } from "./sql/objects.js";
import {
  reinsertObject,
  selectTrash,
  storedSoftDeleteDays,
  type TrashEntry,
  takeDueFromTrash,
  takeFromTrash,
} from "./sql/trash.js";
import type { StorageDeps } from "./types.js";

export type { TrashEntry } from "./sql/trash.js";

/** Entries purged per transaction: a long trash is purged in several short transactions. */
const PURGE_BATCH = 200;

/**
 * How many days a bucket keeps removed objects in the trash, or null when it deletes them at once:
 * groundwork.toml `[storage.buckets.NAME] soft_delete_days` when set there, else the value stored
 * for the bucket (`storage.groundwork_bucket_settings`). 0 means no soft delete.
 */
export async function softDeleteDays(deps: StorageDeps, bucket: string): Promise<number | null> {
  const configured = deps.config.storage.server.buckets[bucket]?.softDeleteDays;
  const days = configured ?? (await storedSoftDeleteDays(deps.db.admin, bucket));
  return days && days > 0 ? days : null;
}

/** The settings a remove runs with so that the trigger on storage.objects keeps the rows. */
export function trashSettings(days: number | null): Record<string, string> {
  return days ? { "storage.groundwork_trash_days": String(days) } : {};
}

/** What a soft delete adds to its REMOVE audit entry. */
export function softDeleteDetail(days: number | null): Record<string, unknown> {
  return days ? { soft_delete: true, retention_days: days } : {};
}

/** Soft-deleted objects, most recently deleted first (optionally of one bucket). */
export function listTrash(deps: StorageDeps, bucket?: string): Promise<TrashEntry[]> {
  return selectTrash(deps.db.admin, bucket);
}

/**
 * Restores a soft-deleted object: its row goes back to its path with its id, version and metadata.
 * Refused while another object holds the path (`KeyAlreadyExists`) or its bucket is gone.
 */
export async function restoreTrashed(deps: StorageDeps, id: string, actor: Actor): Promise<TrashEntry> {
  return asPlatform(deps, async (client) => {
    const entry = await takeFromTrash(client, id);
    if (!entry) throw errors.noSuchKey();
    await lockKey(client, entry.bucket_id, entry.name);
    if (!(await findBucket(client, entry.bucket_id))) throw errors.noSuchBucket();
    if (await findObject(client, entry.bucket_id, entry.name, { forUpdate: true })) {
      throw errors.keyAlreadyExists();
    }
    await reinsertObject(client, entry);
    await recordFileEvent(
      deps,
      "RESTORE",
      entry.bucket_id,
      entry.name,
      { version: entry.version, trash: entry.id, deleted_at: entry.deleted_at },
      actor,
      client,
    );
    return entry;
  });
}

/**
 * Purges trash entries and their bytes: the given ids (at once, whatever their retention), or
 * every entry due at `dueBy` (default now). Each batch leaves the trash and goes on the loose-blob
 * ledger in one transaction, so bytes a crash left behind are deleted by the sweep. Returns the
 * purged entries.
 */
export async function purgeTrash(
  deps: StorageDeps,
  selection: { readonly ids?: readonly string[]; readonly dueBy?: Date },
  actor: Actor,
): Promise<TrashEntry[]> {
  const purged: TrashEntry[] = [];
  const dueBy = selection.ids ? undefined : (selection.dueBy ?? new Date());
  for (;;) {
    const batch = await asPlatform(deps, async (client) => {
      const entries = await takeDueFromTrash(client, { ids: selection.ids, dueBy }, PURGE_BATCH);
      if (entries.length === 0) return entries;
      await client.query(
        `insert into storage.groundwork_loose_blobs (bucket_id, name, version, server_lock)
         select b, n, v, $4 from unnest($1::text[], $2::text[], $3::text[]) as t(b, n, v)
         on conflict do nothing`,
        [
          entries.map((e) => e.bucket_id),
          entries.map((e) => e.name),
          entries.map((e) => e.version),
          deps.looseBlobs.lockKey,
        ],
      );
      await recordFileEventsIn(
        client,
        "PURGE",
        entries.map((e) => ({
          bucket: e.bucket_id,
          name: e.name,
          detail: { version: e.version, trash: e.id, deleted_at: e.deleted_at },
        })),
        actor,
      );
      return entries;
    });
    const keys: BlobKey[] = batch.map((e) => ({ bucket: e.bucket_id, name: e.name, version: e.version }));
    await deps.looseBlobs.discard(keys);
    purged.push(...batch);
    if (batch.length < PURGE_BATCH) return purged;
  }
}
