import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BlobKey,
  BlobNotFound,
  type StorageBackend,
} from "../../src/services/storage/backend/backend.js";
import { hashedName } from "../../src/services/storage/backend/hashed-name.js";
import { s3Backend } from "../../src/services/storage/backend/s3.js";
import { type S3rverProcess, startS3rver } from "./s3rver.js";

const MiB = 1024 * 1024;

/** A body of `size` bytes in 64 KB chunks, as a socket delivers them; fails after `failAt` if given. */
function body(size: number, options: { failAt?: number; destroyAt?: number } = {}): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (options.failAt !== undefined && sent >= options.failAt) {
        this.destroy(new Error("the client went away 🚫"));
        return;
      }
      if (options.destroyAt !== undefined && sent >= options.destroyAt) {
        this.destroy();
        return;
      }
      if (sent >= size) {
        this.push(null);
        return;
      }
      const chunk = Buffer.alloc(Math.min(64 * 1024, size - sent), sent % 251);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

async function md5Of(stream: NodeJS.ReadableStream): Promise<{ md5: string; size: number }> {
  const hash = createHash("md5");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: hash.digest("hex"), size };
}

// The S3 backend against a real S3-protocol server (s3rver in a process of its own).
describe("the S3 storage backend", () => {
  let s3: S3rverProcess;
  let backend: StorageBackend;
  const prefix = "unit/";

  beforeAll(async () => {
    s3 = await startS3rver();
    backend = s3Backend(s3.config(prefix));
  });
  afterAll(async () => {
    await backend?.close?.();
    await s3?.close();
  });

  it("writes, reads and ranges a version under a hashed ASCII key, names in any script", async () => {
    const key: BlobKey = { bucket: "photos & more", name: "été/日本 🎉.txt", version: "v1" };
    const content = "bonjour 🎉 日本語 ñ";
    const written = await backend.write(key, Readable.from([Buffer.from(content)]));
    expect(written).toEqual({
      size: Buffer.byteLength(content),
      eTag: `"${createHash("md5").update(content).digest("hex")}"`,
    });
    expect(await s3.keys(prefix)).toEqual([`${prefix}photos%20%26%20more/${hashedName(key.name)}/v1`]);
    expect(await text(await backend.read(key))).toBe(content);
    const bytes = Buffer.from(content);
    expect(await text(await backend.read(key, { start: 8, end: 11 }))).toBe(bytes.subarray(8, 12).toString());
    await backend.delete(key);
    expect(await s3.keys(prefix)).toEqual([]);
  });

  it("streams a body larger than a part as a multipart upload and reads it back whole", async () => {
    const key: BlobKey = { bucket: "big", name: "twelve megabytes.bin", version: "v1" };
    const expected = await md5Of(body(12 * MiB));
    const written = await backend.write(key, body(12 * MiB));
    expect(written).toEqual({ size: 12 * MiB, eTag: `"${expected.md5}"` });
    expect(await md5Of(await backend.read(key))).toEqual(expected);
    const tail = await md5Of(await backend.read(key, { start: 12 * MiB - 10, end: 12 * MiB - 1 }));
    expect(tail.size).toBe(10);
    await backend.delete(key);
  });

  it("writes an empty body", async () => {
    const key: BlobKey = { bucket: "big", name: "empty", version: "v1" };
    expect((await backend.write(key, Readable.from([]))).size).toBe(0);
    expect(await text(await backend.read(key))).toBe("");
    await backend.delete(key);
  });

  it("a body that fails mid-upload rejects with its own error and leaves no object", async () => {
    const inOnePart: BlobKey = { bucket: "cut", name: "small.bin", version: "v1" };
    await expect(backend.write(inOnePart, body(4 * MiB, { failAt: MiB }))).rejects.toThrow(
      "the client went away 🚫",
    );
    // Past the first 5 MiB part the upload is multipart: its parts are abandoned and aborted.
    const inParts: BlobKey = { bucket: "cut", name: "large.bin", version: "v1" };
    await expect(backend.write(inParts, body(20 * MiB, { failAt: 11 * MiB }))).rejects.toThrow(
      "the client went away 🚫",
    );
    const destroyed: BlobKey = { bucket: "cut", name: "destroyed.bin", version: "v1" };
    await expect(backend.write(destroyed, body(20 * MiB, { destroyAt: 6 * MiB }))).rejects.toMatchObject({
      code: "ERR_STREAM_PREMATURE_CLOSE",
    });
    expect(await s3.keys(`${prefix}cut/`)).toEqual([]);
  });

  it("copies inside the store, and reports missing bytes as BlobNotFound", async () => {
    const from: BlobKey = { bucket: "a b+c", name: "source ✓.txt", version: "v1" };
    const to: BlobKey = { bucket: "other", name: "copy ✓.txt", version: "v2" };
    await backend.write(from, Readable.from([Buffer.from("copié ✓")]));
    await backend.copy(from, to);
    expect(await text(await backend.read(to))).toBe("copié ✓");
    const missing: BlobKey = { bucket: "other", name: "nothing here", version: "v9" };
    await expect(backend.read(missing)).rejects.toBeInstanceOf(BlobNotFound);
    await expect(backend.copy(missing, { ...missing, version: "v10" })).rejects.toBeInstanceOf(BlobNotFound);
    await expect(backend.delete(missing)).resolves.toBeUndefined();
    await backend.delete(from);
    await backend.delete(to);
  });

  it("checks that the store can be reached, naming the bucket but never the secret", async () => {
    await expect(backend.check?.()).resolves.toBeUndefined();
    const missing = s3Backend({ ...s3.config(prefix), bucket: "no-such-bucket" });
    // s3rver refuses unknown key ids; it does not verify SigV4 signatures themselves.
    const wrongKey = s3Backend({
      ...s3.config(prefix),
      accessKeyId: "UNKNOWNKEYID",
      secretAccessKey: "not-the-secret-ñ",
    });
    try {
      await expect(missing.check?.()).rejects.toThrow(
        `the S3 bucket "no-such-bucket" at ${s3.endpoint} cannot be used: NotFound, HTTP 404`,
      );
      const refused = await wrongKey.check?.().catch((error: Error) => error);
      expect((refused as Error).message).toMatch(
        /^the S3 bucket "groundwork-test" at .* cannot be used: .*HTTP 403/,
      );
      expect((refused as Error).message).not.toContain("not-the-secret");
    } finally {
      await missing.close?.();
      await wrongKey.close?.();
    }
  });

  it("lists a bucket's versions by hashed name, only under its own prefix", async () => {
    const neighbour = s3Backend({ ...s3.config("neighbour/"), checksums: "when_required" });
    try {
      const keys: BlobKey[] = [
        { bucket: "listed", name: "one", version: "v1" },
        { bucket: "listed", name: "one", version: "v2" },
        { bucket: "listed", name: "dos ñ", version: "v1" },
        { bucket: "listed-not", name: "other bucket", version: "v1" },
      ];
      for (const key of keys) await backend.write(key, Readable.from([Buffer.from(key.name)]));
      await neighbour.write(keys[0] as BlobKey, Readable.from([Buffer.from("not mine")]));
      const listed: BlobKey[] = [];
      for await (const key of backend.list?.("listed") ?? []) listed.push(key);
      const expected = keys
        .slice(0, 3)
        .map((key) => ({ bucket: "listed", name: hashedName(key.name), version: key.version }));
      const order = (a: BlobKey, b: BlobKey) =>
        `${a.name}/${a.version}`.localeCompare(`${b.name}/${b.version}`);
      expect(listed.sort(order)).toEqual(expected.sort(order));
      expect(await text(await neighbour.read(keys[0] as BlobKey))).toBe("not mine");
      expect(await text(await backend.read(keys[0] as BlobKey))).toBe("one");
    } finally {
      await neighbour.close?.();
    }
  });
});
