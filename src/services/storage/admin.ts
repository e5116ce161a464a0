import pg from "pg";
import type { Config } from "../../config/index.js";
import type { Database } from "../../db/pool.js";
import { platformActor } from "./audit.js";
import type { BlobKey } from "./backend/backend.js";
import { createStorageDeps } from "./deps.js";
import { deleteQuarantined, listQuarantine, type QuarantineEntry, releaseQuarantined } from "./quarantine.js";
import { seedBuckets } from "./seed.js";
import { listTrash, purgeTrash, restoreTrashed, type TrashEntry } from "./trash.js";

/**
 * Storage's admin operations on a project's database and backend, for the CLI (`groundwork
 * storage`, `groundwork db reset`): the same functions the service role's routes call, with the
 * database URL's own role and the project's configured backend.
 */
export interface StorageAdmin {
  listQuarantine(bucket?: string): Promise<QuarantineEntry[]>;
  /** The file becomes the object at its path. */
  releaseQuarantined(id: string): Promise<QuarantineEntry>;
  deleteQuarantined(id: string): Promise<void>;
  listTrash(bucket?: string): Promise<TrashEntry[]>;
  restoreTrashed(id: string): Promise<TrashEntry>;
  /** The given entries, or those due at `dueBy` (default now). */
  purgeTrash(selection: { ids?: readonly string[]; dueBy?: Date }): Promise<TrashEntry[]>;
  /** Creates config.toml's buckets and uploads their `objects_path` files; returns the files uploaded. */
  seedBuckets(): Promise<number>;
  /** Every version of bytes the database refers to: objects, quarantine, trash, loose blobs. */
  blobKeys(): Promise<BlobKey[]>;
  /** Deletes the bytes of versions no database refers to any more (after `db reset`). */
  deleteBlobs(keys: readonly BlobKey[]): Promise<number>;
  close(): Promise<void>;
}

/** Opens {@link StorageAdmin} on a database; `close()` it when done. */
export function openStorageAdmin(
  config: Config,
  databaseUrl: string,
  warn: (message: string) => void = () => {},
): StorageAdmin {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: "groundwork storage" });
  pool.on("error", () => {});
  // Admin commands run with the URL's own role: the one pool serves both purposes.
  const db: Database = { api: pool, admin: pool, close: () => pool.end() };
  const deps = createStorageDeps(config, db, (message) => warn(message));
  const actor = platformActor("cli", "groundwork cli");
  return {
    listQuarantine: (bucket) => listQuarantine(deps, bucket),
    releaseQuarantined: (id) => releaseQuarantined(deps, id, actor),
    deleteQuarantined: (id) => deleteQuarantined(deps, id),
    listTrash: (bucket) => listTrash(deps, bucket),
    restoreTrashed: (id) => restoreTrashed(deps, id, actor),
    purgeTrash: (selection) => purgeTrash(deps, selection, actor),
    seedBuckets: () => seedBuckets(deps),
    async blobKeys() {
      const { rows } = await pool.query<{ bucket: string; name: string; version: string }>(
        `select bucket_id as bucket, name, version from storage.objects where version is not null
         union select bucket_id, name, version from storage.groundwork_quarantine
         union select bucket_id, name, version from storage.groundwork_trash
         union select bucket_id, name, version from storage.groundwork_loose_blobs`,
      );
      return rows;
    },
    async deleteBlobs(keys) {
      let deleted = 0;
      for (const key of keys) {
        try {
          await deps.backend.delete(key);
          deleted++;
        } catch (error) {
          warn(`could not delete the bytes of ${key.bucket}/${key.name}: ${(error as Error).message}`);
        }
      }
      return deleted;
    },
    async close() {
      await deps.looseBlobs.close();
      await deps.backend.close?.();
      await pool.end();
    },
  };
}
