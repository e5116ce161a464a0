import type { Upload } from "@tus/server";
import { errors } from "./errors.js";
import { mustBeValidBucketName, mustBeValidKey } from "./keys.js";
import { parseMetadata } from "./upload-body.js";

/**
 * What a resumable upload will become, fixed when it is created: the object it writes, who owns
 * it, whether it may replace an existing one, and whether a signed upload URL's token grants it.
 * Kept in the upload's tus metadata (in its `.json` file beside the staged bytes), so it survives
 * a restart and the upload can resume on the next process.
 */
export interface ResumableRecord {
  readonly bucket: string;
  readonly name: string;
  readonly mimeType: string;
  readonly cacheControl: string;
  readonly userMetadata: Record<string, unknown> | null;
  readonly owner: string | null;
  readonly upsert: boolean;
  /** Created through `/upload/resumable/sign` with an `x-signature` token. */
  readonly signed: boolean;
}

/**
 * Reads the client's `Upload-Metadata` as Supabase Storage does: `bucketName`, `objectName`,
 * `contentType`, `cacheControl` (seconds, stored as `max-age=N`) and `metadata` (a JSON object).
 */
export function recordFromClient(
  metadata: Upload["metadata"],
  grant: { owner: string | null; upsert: boolean; signed: boolean },
): ResumableRecord {
  if (!metadata) throw errors.invalidRequest("Metadata header is required");
  const bucket = metadata.bucketName ?? "";
  const name = metadata.objectName ?? "";
  mustBeValidBucketName(bucket);
  mustBeValidKey(name);
  return {
    bucket,
    name,
    mimeType: metadata.contentType || "application/octet-stream",
    cacheControl: /^\d+$/.test(metadata.cacheControl ?? "") ? `max-age=${metadata.cacheControl}` : "no-cache",
    userMetadata: parseMetadata(metadata.metadata),
    ...grant,
  };
}

/** The record as tus metadata: the client's keys (normalised) plus the grant. */
export function recordToMetadata(record: ResumableRecord): NonNullable<Upload["metadata"]> {
  return {
    bucketName: record.bucket,
    objectName: record.name,
    contentType: record.mimeType,
    cacheControl: record.cacheControl,
    ...(record.userMetadata ? { metadata: JSON.stringify(record.userMetadata) } : {}),
    ...(record.owner ? { owner: record.owner } : {}),
    upsert: String(record.upsert),
    signed: String(record.signed),
  };
}

/** The record of a stored upload (written by {@link recordToMetadata}). */
export function recordOf(upload: Upload): ResumableRecord {
  const metadata = upload.metadata ?? {};
  return {
    bucket: metadata.bucketName ?? "",
    name: metadata.objectName ?? "",
    mimeType: metadata.contentType ?? "application/octet-stream",
    cacheControl: metadata.cacheControl ?? "no-cache",
    userMetadata: metadata.metadata ? parseMetadata(metadata.metadata) : null,
    owner: metadata.owner ?? null,
    upsert: metadata.upsert === "true",
    signed: metadata.signed === "true",
  };
}
