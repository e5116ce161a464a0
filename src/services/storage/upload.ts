import { randomUUID } from "node:crypto";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Actor, recordFileEvent } from "./audit.js";
import type { BlobKey } from "./backend/backend.js";
import { mimeTypeAllowed } from "./bucket-rules.js";
import { ByteLimit } from "./byte-limit.js";
import { asPlatform } from "./caller.js";
import { ContentTypeCheck } from "./content-type.js";
import { errors, StorageError } from "./errors.js";
import { scanUpload } from "./quarantine.js";
import { type InstreamScan, ScannerUnavailable } from "./scanner.js";
import { commitObjectRow } from "./sql/objects.js";
import type { ObjectRow, StorageDeps } from "./types.js";

/** A bucket's limits, looked up on the platform pool (a bucket hidden by RLS still counts). */
export interface BucketLimits {
  readonly id: string;
  readonly public: boolean;
  readonly file_size_limit: number | null;
  readonly allowed_mime_types: string[] | null;
}

/** Looks a bucket up as superuser; throws `NoSuchBucket`. */
export async function bucketLimits(deps: StorageDeps, bucket: string): Promise<BucketLimits> {
  const { rows } = await deps.db.admin.query<BucketLimits>(
    "select id, public, file_size_limit::float8 as file_size_limit, allowed_mime_types from storage.buckets where id = $1",
    [bucket],
  );
  if (!rows[0]) throw errors.noSuchBucket();
  return rows[0];
}

/** One upload as the route parsed it. */
export interface UploadInput {
  readonly bucket: BucketLimits;
  readonly name: string;
  readonly upsert: boolean;
  /** The uploader's `sub`, recorded as owner. */
  readonly owner: string | null;
  readonly mimeType: string;
  readonly cacheControl: string;
  readonly userMetadata: Record<string, unknown> | null;
  /** The announced length, when there is one (refused early when over the limit). */
  readonly contentLength: number | null;
  /** Who uploads, for the audit log and the quarantine. */
  readonly actor: Actor;
}

/** The largest object the bucket takes: its own limit, capped by `[storage] file_size_limit`. */
export function sizeLimit(deps: StorageDeps, bucket: BucketLimits): number {
  const global = deps.config.storage.fileSizeLimit;
  return bucket.file_size_limit ? Math.min(global, bucket.file_size_limit) : global;
}

/** The checks that need no byte: declared type and announced size (reference/storage.md §3). */
export function checkBeforeBytes(deps: StorageDeps, input: UploadInput): void {
  if (!input.mimeType.includes("/")) throw errors.invalidMimeType(input.mimeType);
  if (!mimeTypeAllowed(input.mimeType, input.bucket.allowed_mime_types))
    throw errors.invalidMimeType(input.mimeType);
  if (input.contentLength !== null && input.contentLength > sizeLimit(deps, input.bucket))
    throw errors.entityTooLarge();
}

/**
 * Streams an upload's bytes to the backend under a fresh version, checks them, then makes them
 * visible by writing the row (reference/storage.md §6 "check first, then stream"). The caller has
 * already run the permission probe. Until the row commits the bytes are a loose blob; on any
 * failure they are deleted, so a failed or aborted upload leaves neither bytes nor row.
 */
export async function storeUpload(deps: StorageDeps, input: UploadInput, body: Readable): Promise<ObjectRow> {
  const key: BlobKey = { bucket: input.bucket.id, name: input.name, version: randomUUID() };
  await deps.looseBlobs.willWrite([key]);
  const limit = new ByteLimit(sizeLimit(deps, input.bucket));
  const security = deps.config.storage.server.buckets[input.bucket.id];
  const contentCheck =
    input.bucket.allowed_mime_types && (security?.checkContent ?? true)
      ? new ContentTypeCheck(input.mimeType, input.bucket.allowed_mime_types)
      : null;
  let row: ObjectRow;
  let replaced: BlobKey | null = null;
  let quarantined = false;
  let scan: InstreamScan | null = null;
  try {
    scan = await openScan(deps, input.bucket.id);
    const stages = [limit, contentCheck, scan].filter((stage) => stage !== null);
    const written = await deps.backend.write(key, through(body, stages));
    if (input.contentLength !== null && written.size !== input.contentLength) {
      throw errors.invalidRequest("The upload was interrupted before the whole body arrived");
    }
    const scanStatus = await scanUpload(
      deps,
      key,
      { size: written.size, mimetype: input.mimeType, actor: input.actor },
      () => {
        quarantined = true;
      },
      scan,
    );
    const metadata = {
      eTag: written.eTag,
      size: written.size,
      mimetype: input.mimeType,
      cacheControl: input.cacheControl,
      lastModified: new Date().toUTCString(),
      contentLength: written.size,
      httpStatusCode: 200,
      ...(scanStatus ? { scanStatus } : {}),
    };
    row = await asPlatform(
      deps,
      async (client) => {
        // Concurrent uploads of one key take turns (asPlatform's lockKey): the last to commit
        // wins an upsert, the second plain upload gets 409, and each knows which version it
        // replaced.
        const saved = await commitObjectRow(
          client,
          { ...key, owner: input.owner, metadata, userMetadata: input.userMetadata },
          input.upsert,
        );
        if (!saved) throw errors.keyAlreadyExists();
        const replacedVersion = saved.replacedVersion;
        replaced = replacedVersion ? { bucket: key.bucket, name: key.name, version: replacedVersion } : null;
        if (!(await deps.looseBlobs.settle(client, [key]))) {
          throw new Error("the upload's bytes were swept while it was being written");
        }
        await recordFileEvent(
          deps,
          "UPLOAD",
          key.bucket,
          key.name,
          { version: key.version, size: written.size, mimetype: input.mimeType, replaced: replacedVersion },
          input.actor,
          client,
        );
        return saved.row;
      },
      { lockKey: key },
    );
  } catch (error) {
    scan?.close();
    if (!quarantined) await deps.looseBlobs.discard([key]);
    throw asUploadError(error);
  }
  if (replaced) await deps.looseBlobs.discard([replaced]);
  return row;
}

/**
 * Opens the clamd stream an upload's bytes pass through when its bucket scans, so the scan runs
 * while the bytes are written instead of reading them back afterwards. clamd out of reach: a
 * bucket that refuses unscanned files refuses before a byte is read; one that accepts them gets
 * null (scanUpload then marks the file).
 */
async function openScan(deps: StorageDeps, bucket: string): Promise<InstreamScan | null> {
  const security = deps.config.storage.server.buckets[bucket];
  if (!security?.scan || !deps.scanner) return null;
  try {
    return await deps.scanner.open();
  } catch (error) {
    if (!(error instanceof ScannerUnavailable)) throw error;
    if (security.whenScannerUnavailable === "accept") return null;
    throw errors.scannerUnavailable();
  }
}

/** The body through each stage in turn; a stream that ends early or errors fails the write. */
function through(body: Readable, stages: Transform[]): Readable {
  const last = stages.at(-1);
  if (!last) return body;
  pipeline([body, ...stages]).catch((error: unknown) => last.destroy(error as Error));
  return last;
}

/** A broken body (client gone, truncated form) is the client's fault, not ours. */
function asUploadError(error: unknown): unknown {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? "";
  if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || message === "aborted") {
    return errors.invalidRequest("The upload was interrupted before the whole body arrived");
  }
  if (message.startsWith("Unexpected end of form") || message.startsWith("Malformed")) {
    return errors.invalidRequest(`Invalid multipart body: ${message}`);
  }
  return error;
}
