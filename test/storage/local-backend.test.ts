import { mkdtempSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, describe, expect, it } from "vitest";
import { BlobNotFound } from "../../src/services/storage/backend/backend.js";
import { localBackend } from "../../src/services/storage/backend/local.js";

const root = mkdtempSync(path.join(os.tmpdir(), "groundwork-local-backend-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the local folder backend", () => {
  const backend = localBackend(root);
  const key = { bucket: "docs", name: "ノート/résumé ✨.txt", version: "v1" };
  const body = "Grüße aus 東京 🗼\n".repeat(1000);

  it("a read under way when the object is deleted still gets every byte", async () => {
    await backend.write(key, Readable.from([Buffer.from(body)]));
    const reading = await backend.read(key);
    // Removed at once, synchronously, before the stream has read (or lazily opened) anything.
    for (const file of readdirSync(root, { recursive: true, withFileTypes: true }))
      if (file.isFile()) unlinkSync(path.join(file.parentPath, file.name));
    await backend.delete(key);
    expect(await text(reading)).toBe(body);
  });

  it("a read after the delete is not found, not an error mid-stream", async () => {
    await expect(backend.read(key)).rejects.toBeInstanceOf(BlobNotFound);
  });

  it("a range of a file is read as the bytes of that range", async () => {
    const ranged = { ...key, version: "v2" };
    await backend.write(ranged, Readable.from([Buffer.from("0123456789")]));
    expect(await text(await backend.read(ranged, { start: 2, end: 5 }))).toBe("2345");
  });
});
