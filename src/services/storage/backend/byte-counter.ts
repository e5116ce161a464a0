import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { WrittenBlob } from "./backend.js";

/**
 * Passes bytes through unchanged, counting them and taking their MD5: the size and ETag a backend
 * reports. (An S3 multipart upload's own ETag is not the MD5 of the bytes, so it is computed here.)
 */
export class ByteCounter extends Transform {
  private readonly hash = createHash("md5");
  // Not `size`: lib-storage takes a body's `size` property for its total length.
  private counted = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.counted += chunk.length;
    callback(null, chunk);
  }

  /** What went through; call once, after the stream has ended. */
  written(): WrittenBlob {
    return { size: this.counted, eTag: `"${this.hash.digest("hex")}"` };
  }
}
