/**
 * Glossary
 * - bucket: a named container of objects (`storage.buckets`), public or private, with optional
 *   size and mime type limits.
 * - object: a file in a bucket (`storage.objects`), named by a path such as `avatars/me.png`; its
 *   bytes live in the backend under the object's current `version`.
 * - version: a fresh uuid per upload, so new bytes never overwrite bytes someone may be reading;
 *   the row's `version` says which bytes are current.
 * - backend: where bytes live (local folder, S3); see backend/backend.ts.
 * - loose blob: bytes that no row may refer to yet or any more; see loose-blobs.ts.
 * - caller: the request's role and claims; every user-facing query runs as the caller under RLS.
 * - operation: the route's name (`storage.object.upload`...), set as `storage.operation` for
 *   policies that allow some operations only.
 */
import type { Config } from "../../config/index.js";
import type { Database } from "../../db/pool.js";
import type { StorageBackend } from "./backend/backend.js";
import type { LooseBlobs } from "./loose-blobs.js";
import type { UploadRateLimit } from "./rate-limit.js";
import type { ClamdScanner } from "./scanner.js";

/** What every storage route and domain function gets. */
export interface StorageDeps {
  readonly config: Config;
  readonly db: Database;
  readonly backend: StorageBackend;
  readonly looseBlobs: LooseBlobs;
  /** clamd, when `[storage.scan] clamd` names it; null otherwise. */
  readonly scanner: ClamdScanner | null;
  /** Uploads per minute per user and per IP. */
  readonly uploadLimit: UploadRateLimit;
  /** Secret of signed URL tokens. */
  readonly signingSecret: string;
}

/** A bucket as the API returns it. */
export interface BucketRow {
  readonly id: string;
  readonly name: string;
  readonly owner: string | null;
  readonly public: boolean;
  readonly file_size_limit: number | null;
  readonly allowed_mime_types: string[] | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly type: string;
}

/** An object row as the routes use it. */
export interface ObjectRow {
  readonly id: string;
  readonly bucket_id: string;
  readonly name: string;
  readonly owner: string | null;
  readonly owner_id: string | null;
  readonly version: string | null;
  readonly metadata: ObjectMetadata | null;
  readonly user_metadata: Record<string, unknown> | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly last_accessed_at: string;
}

/** The `metadata` jsonb the server writes, as Supabase Storage writes it. */
export interface ObjectMetadata {
  readonly eTag: string;
  readonly size: number;
  readonly mimetype: string;
  readonly cacheControl: string;
  readonly lastModified: string;
  readonly contentLength: number;
  readonly httpStatusCode: number;
}

/** The route operations, as Supabase Storage names them (its `ROUTE_OPERATIONS`). */
export const OPERATIONS = {
  createBucket: "storage.bucket.create",
  deleteBucket: "storage.bucket.delete",
  emptyBucket: "storage.bucket.empty",
  listBuckets: "storage.bucket.list",
  getBucket: "storage.bucket.get",
  updateBucket: "storage.bucket.update",
  copyObject: "storage.object.copy",
  upload: "storage.object.upload",
  uploadUpdate: "storage.object.upload_update",
  deleteObject: "storage.object.delete",
  deleteObjects: "storage.object.delete_many",
  getPublic: "storage.object.get_public",
  getAuthenticated: "storage.object.get_authenticated",
  infoPublic: "storage.object.info_public",
  infoAuthenticated: "storage.object.info_authenticated",
  getSigned: "storage.object.get_signed",
  signUploadUrl: "storage.object.sign_upload_url",
  sign: "storage.object.sign",
  signMany: "storage.object.sign_many",
  list: "storage.object.list",
  move: "storage.object.move",
  uploadSigned: "storage.object.upload_signed",
  tusCreate: "storage.tus.upload.create",
  tusPart: "storage.tus.upload.part",
  tusDelete: "storage.tus.upload.delete",
  renderAuthenticated: "storage.render.image_authenticated",
  renderPublic: "storage.render.image_public",
  renderSigned: "storage.render.image_sign",
} as const;

export type Operation = (typeof OPERATIONS)[keyof typeof OPERATIONS];
