import type { Readable } from "node:stream";

/** Where an object's bytes live: one version of one name in one bucket. */
export interface BlobKey {
  readonly bucket: string;
  readonly name: string;
  readonly version: string;
}

/** What a backend reports about the bytes it wrote. */
export interface WrittenBlob {
  readonly size: number;
  /** Quoted MD5 of the bytes, as S3 gives it. */
  readonly eTag: string;
}

/** An inclusive byte range, as a `Range: bytes=start-end` header asks for. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The seam between the storage service and the place file bytes live (DESIGN.md "small
 * interfaces at the seams"). Rows and policies stay in PostgreSQL; a backend only keeps bytes,
 * each version under its own key, so an upload never overwrites bytes a reader may be streaming.
 */
export interface StorageBackend {
  readonly kind: string;
  /**
   * Streams `body` to the key. Resolves once every byte is durable; rejects (leaving nothing at
   * the key) if the stream errors or is destroyed first.
   */
  write(key: BlobKey, body: Readable): Promise<WrittenBlob>;
  /** The bytes, or a range of them; rejects with {@link BlobNotFound} when there are none. */
  read(key: BlobKey, range?: ByteRange): Promise<Readable>;
  /** Removes the bytes; a missing key is not an error. */
  delete(key: BlobKey): Promise<void>;
  /** Copies the bytes to another key without passing them through the process when it can. */
  copy(from: BlobKey, to: BlobKey): Promise<void>;
  /** Every key the backend holds in a bucket (for the orphan sweep). */
  list?(bucket: string): AsyncIterable<BlobKey>;
  /** Removes writes that a crashed process left half done (temporary files). */
  sweepPartial?(): Promise<number>;
  /** Rejects, saying why, when the store cannot be reached with the configured settings. */
  check?(): Promise<void>;
  /** Releases what the backend holds open (an S3 client's sockets); called when the server stops. */
  close?(): Promise<void>;
}

/** Thrown by {@link StorageBackend.read} when a key has no bytes. */
export class BlobNotFound extends Error {
  constructor(key: BlobKey) {
    super(`no bytes for ${key.bucket}/${key.name} version ${key.version}`);
    this.name = "BlobNotFound";
  }
}
