import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { platformActor } from "./audit.js";
import { errors } from "./errors.js";
import { findObject } from "./sql/objects.js";
import type { StorageDeps } from "./types.js";
import { bucketLimits, storeUpload } from "./upload.js";

/** The seeding server, as the audit log records it. */
const SEED_ACTOR = platformActor("seed", "groundwork seed");

/** Types of the text files a seed folder usually holds; others are read from their bytes. */
const TEXT_TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".json": "application/json",
  ".html": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".svg": "image/svg+xml",
  ".xml": "application/xml",
};

/**
 * Creates or updates the buckets of `supabase/config.toml` `[storage.buckets.NAME]` and uploads
 * the files of their `objects_path` that are not there yet, as `supabase seed buckets` does.
 * Returns the number of files uploaded.
 */
export async function seedBuckets(deps: StorageDeps): Promise<number> {
  let uploaded = 0;
  for (const [id, bucket] of Object.entries(deps.config.storage.buckets)) {
    await deps.db.admin.query(
      `insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
       values ($1, $1, $2, $3, $4)
       on conflict (id) do update set public = excluded.public, file_size_limit = excluded.file_size_limit,
         allowed_mime_types = excluded.allowed_mime_types, updated_at = now()`,
      [id, bucket.public, bucket.fileSizeLimit, bucket.allowedMimeTypes],
    );
    if (!bucket.objectsPath) continue;
    const folder = path.resolve(deps.config.projectDir, "supabase", bucket.objectsPath);
    const limits = await bucketLimits(deps, id);
    for (const file of await filesUnder(folder)) {
      const name = path.relative(folder, file).split(path.sep).join("/");
      if (await findObject(deps.db.admin, id, name)) continue;
      const size = (await stat(file)).size;
      const mimeType =
        TEXT_TYPES[path.extname(file).toLowerCase()] ??
        (await (await import("file-type")).fileTypeFromFile(file))?.mime ??
        "application/octet-stream";
      try {
        await storeUpload(
          deps,
          {
            bucket: limits,
            name,
            upsert: false,
            owner: null,
            mimeType,
            cacheControl: "max-age=3600",
            actor: SEED_ACTOR,
            userMetadata: null,
            contentLength: size,
          },
          createReadStream(file),
        );
        uploaded++;
      } catch (error) {
        // Another process seeding at the same time got there first.
        if ((error as { code?: string }).code !== errors.keyAlreadyExists().code) throw error;
      }
    }
  }
  return uploaded;
}

async function filesUnder(folder: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(full)));
    else if (entry.isFile() && !entry.name.startsWith(".")) files.push(full);
  }
  return files.sort();
}
