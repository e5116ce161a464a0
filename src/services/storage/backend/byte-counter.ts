import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through unchanged, counting them: the size a backend reports. */
export class ByteCounter extends Transform {
  // Not `size`: lib-storage takes a body's `size` property for its total length.
  private counted = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counted += chunk.length;
    callback(null, chunk);
  }

  /** How many bytes went through. */
  get bytes(): number {
    return this.counted;
  }
}
