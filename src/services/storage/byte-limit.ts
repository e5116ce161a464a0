import { Transform, type TransformCallback } from "node:stream";
import { errors } from "./errors.js";

/**
 * Passes bytes through, failing with `EntityTooLarge` the moment more than `limit` have passed,
 * and keeps the first `headSize` bytes for the content check (file-type reads the first 4 KB).
 */
export class ByteLimit extends Transform {
  size = 0;
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;

  constructor(
    private readonly limit: number,
    private readonly headSize = 4100,
  ) {
    // A buffer as large as the file write's, so the limit is not what throttles the stream.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(errors.entityTooLarge());
      return;
    }
    if (this.headLength < this.headSize) {
      const part = chunk.subarray(0, this.headSize - this.headLength);
      this.headChunks.push(part);
      this.headLength += part.length;
    }
    callback(null, chunk);
  }

  /** The first bytes of the body (up to `headSize`). */
  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }
}
