import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isProcessAlive } from "../../../db/process-alive.js";
import {
  type BlobKey,
  BlobNotFound,
  type ByteRange,
  type StorageBackend,
  type WrittenBlob,
} from "./backend.js";
import { hashedName } from "./hashed-name.js";
import { Md5Stream } from "./md5-stream.js";

export { hashedName };

const PARTIAL_DIR = ".partial";
/** Fewer, larger writes: a socket delivers 64 KB chunks, the default buffer is 16 KB. */
const WRITE_BUFFER = 1024 * 1024;
/** Downloads read 1 MB at a time (the default 64 KB means sixteen times the reads and socket writes). */
const READ_BUFFER = 1024 * 1024;

/**
 * Bytes in a folder (`.groundwork/storage` by default). A version lives at
 * `<bucket>/<sha256(name) first 2 hex>/<sha256(name)>/<version>`: names of any length or script
 * map to short, safe file names, and no name can reach outside its bucket. A write goes to
 * `.partial/<pid>-<uuid>` and is renamed into place once complete, so a reader never sees half a
 * file; a crashed process's partial files are removed by {@link sweepPartial}.
 */
export function localBackend(root: string): StorageBackend {
  const partialDir = path.join(root, PARTIAL_DIR);
  const fileOf = (key: BlobKey) => path.join(nameDir(root, key.bucket, key.name), key.version);

  return {
    kind: "local",
    async write(key, body) {
      await mkdir(partialDir, { recursive: true });
      const partial = path.join(partialDir, `${process.pid}-${randomUUID()}`);
      const hash = new Md5Stream();
      let size = 0;
      body.on("data", (chunk: Buffer) => {
        size += chunk.length;
      });
      let eTag: string;
      try {
        await pipeline(body, hash, createWriteStream(partial, { flags: "wx", highWaterMark: WRITE_BUFFER }));
        eTag = `"${await hash.digest()}"`;
        const target = fileOf(key);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { size, eTag } satisfies WrittenBlob;
    },
    async read(key, range?: ByteRange) {
      // Opened before the stream is returned: a remove between this read's row lookup and the
      // first byte then finds the file open (it stays readable) or answers not found, never an
      // error mid-response.
      let handle: FileHandle;
      try {
        handle = await open(fileOf(key), "r");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new BlobNotFound(key);
        throw error;
      }
      return handle.createReadStream({
        highWaterMark: READ_BUFFER,
        ...(range ? { start: range.start, end: range.end } : {}),
      }) as Readable;
    },
    async delete(key) {
      const file = fileOf(key);
      await rm(file, { force: true });
      // Leave no empty folder behind; a concurrent write into it simply recreates it.
      await rm(path.dirname(file), { recursive: false }).catch(() => {});
    },
    async copy(from, to) {
      const target = fileOf(to);
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await copyFile(fileOf(from), target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new BlobNotFound(from);
        throw error;
      }
    },
    async *list(bucket) {
      // Names are hashed on disk, so the sweep matches keys by hash: `name` here is the hash.
      const bucketDir = path.join(root, encodeURIComponent(bucket));
      for (const shard of await readdirOrEmpty(bucketDir)) {
        for (const hashed of await readdirOrEmpty(path.join(bucketDir, shard))) {
          for (const version of await readdirOrEmpty(path.join(bucketDir, shard, hashed))) {
            yield { bucket, name: hashed, version };
          }
        }
      }
    },
    async sweepPartial() {
      let removed = 0;
      for (const file of await readdirOrEmpty(partialDir)) {
        const pid = Number(file.split("-")[0]);
        if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
        await rm(path.join(partialDir, file), { force: true });
        removed++;
      }
      return removed;
    },
  };
}

function nameDir(root: string, bucket: string, name: string): string {
  const hashed = hashedName(name);
  return path.join(root, encodeURIComponent(bucket), hashed.slice(0, 2), hashed);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
