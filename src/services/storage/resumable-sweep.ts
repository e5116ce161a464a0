import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Removes the staged chunks of resumable uploads older than `expireAfterSeconds` (docs/storage.md
 * "Resumable uploads"): each upload is `<id>` (its bytes) and `<id>.json` (its tus record) in the
 * staging folder. An upload that never finished has no object row, so only these files remain.
 * Written here rather than with `FileStore.deleteExpired`, which stops at the first upload whose
 * bytes are already gone. Returns how many uploads it removed.
 */
export async function sweepExpiredUploads(
  folder: string,
  expireAfterSeconds: number,
  now = Date.now(),
): Promise<number> {
  let files: string[];
  try {
    files = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  const cutoff = now - expireAfterSeconds * 1000;
  const ids = new Set(files.map((file) => file.replace(/\.json$/, "")));
  let removed = 0;
  for (const id of ids) {
    if ((await createdAt(folder, id)) >= cutoff) continue;
    await rm(path.join(folder, id), { force: true });
    await rm(path.join(folder, `${id}.json`), { force: true });
    removed++;
  }
  return removed;
}

/** When an upload was created: its record's `creation_date`, else its bytes' modification time. */
async function createdAt(folder: string, id: string): Promise<number> {
  try {
    const record = JSON.parse(await readFile(path.join(folder, `${id}.json`), "utf8")) as {
      creation_date?: unknown;
    };
    const created = typeof record.creation_date === "string" ? Date.parse(record.creation_date) : Number.NaN;
    if (!Number.isNaN(created)) return created;
  } catch {
    // No record, or an unreadable one: fall back to the bytes' age.
  }
  try {
    return (await stat(path.join(folder, id))).mtimeMs;
  } catch {
    return 0;
  }
}
