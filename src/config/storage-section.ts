import path from "node:path";
import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/** Where file bytes live (`groundwork.toml` `[storage] backend`; docs/storage.md). */
export type StorageBackendConfig =
  | {
      readonly kind: "local";
      /** Folder of the bytes (`[storage] path`); default `.groundwork/storage` in the project. */
      readonly path: string;
    }
  | {
      readonly kind: "s3";
      readonly endpoint: string | null;
      readonly region: string;
      /** The one S3 bucket every storage bucket's objects are kept in, under `<bucket>/`. */
      readonly bucket: string;
      readonly accessKeyId: string | null;
      readonly secretAccessKey: string | null;
      readonly forcePathStyle: boolean;
    };

/** Groundwork's per-bucket file security (`groundwork.toml` `[storage.buckets.NAME]`). */
export interface BucketSecurityConfig {
  /** Stream every upload to clamd before it becomes visible (`scan`). */
  readonly scan: boolean;
  /** When clamd cannot be reached: refuse the upload (default) or accept it marked not scanned. */
  readonly whenScannerUnavailable: "refuse" | "accept";
  /** Check the bytes' real type against `allowed_mime_types` (`check_content`, default true). */
  readonly checkContent: boolean;
  /** Deleted objects are hidden at once and their bytes purged after this many days (`soft_delete_days`). */
  readonly softDeleteDays: number | null;
}

/** Groundwork's own storage settings (`groundwork.toml` `[storage]`). */
export interface StorageServerConfig {
  readonly backend: StorageBackendConfig;
  /** clamd's socket: a Unix socket path or `host:port` (`[storage.scan] clamd`; `CLAMD_SOCKET`). */
  readonly clamd: string | null;
  readonly buckets: Readonly<Record<string, BucketSecurityConfig>>;
  /** Uploads per minute per user and per IP (`[storage.rate_limit] uploads_per_minute`); 0 = off. */
  readonly uploadsPerMinute: number;
  /** Secret that signs signed URLs (`signing_secret`); null: the project JWT secret. */
  readonly signingSecret: string | null;
  readonly resumable: ResumableUploadsConfig;
}

/** Resumable (TUS) uploads (`groundwork.toml` `[storage.resumable]`). */
export interface ResumableUploadsConfig {
  /** Folder of the chunks of unfinished uploads (`path`); default `.groundwork/storage-resumable`. */
  readonly path: string;
  /** An unfinished upload is dropped this long after it was created (`expire_after_seconds`). */
  readonly expireAfterSeconds: number;
}

/** Reads `groundwork.toml` `[storage]`. */
export function readStorageServer(
  storage: TableReader,
  stateDir: string,
  env: NodeJS.ProcessEnv,
): StorageServerConfig {
  const kind = storage.string("backend", "local");
  let backend: StorageBackendConfig;
  if (kind === "local") {
    const folder = env.GROUNDWORK_STORAGE_PATH || storage.string("path", path.join(stateDir, "storage"));
    backend = { kind, path: path.resolve(stateDir, "..", folder) };
  } else if (kind === "s3") {
    const s3 = storage.section("s3");
    const bucket = s3.optionalString("bucket");
    if (!bucket)
      throw new ConfigError(storage.file, "storage.s3.bucket", "the S3 bucket to keep files in", "none");
    backend = {
      kind,
      endpoint: s3.optionalString("endpoint"),
      region: s3.string("region", "us-east-1"),
      bucket,
      accessKeyId: s3.optionalString("access_key_id"),
      secretAccessKey: s3.optionalString("secret_access_key"),
      forcePathStyle: s3.boolean("force_path_style", true),
    };
  } else {
    throw new ConfigError(storage.file, "storage.backend", '"local" or "s3"', JSON.stringify(kind));
  }
  const bucketsSection = storage.section("buckets");
  const buckets: Record<string, BucketSecurityConfig> = {};
  for (const name of bucketsSection.sectionNames()) {
    const bucket = bucketsSection.section(name);
    const unavailable = bucket.string("when_scanner_unavailable", "refuse");
    if (unavailable !== "refuse" && unavailable !== "accept") {
      throw new ConfigError(
        storage.file,
        `storage.buckets.${name}.when_scanner_unavailable`,
        '"refuse" or "accept"',
        JSON.stringify(unavailable),
      );
    }
    buckets[name] = {
      scan: bucket.boolean("scan", false),
      whenScannerUnavailable: unavailable,
      checkContent: bucket.boolean("check_content", true),
      softDeleteDays: bucket.has("soft_delete_days")
        ? bucket.integer("soft_delete_days", 0, { min: 0 })
        : null,
    };
  }
  return {
    backend,
    clamd: env.CLAMD_SOCKET || storage.section("scan").optionalString("clamd"),
    buckets,
    uploadsPerMinute: storage.section("rate_limit").integer("uploads_per_minute", 0, { min: 0 }),
    signingSecret: storage.optionalString("signing_secret"),
    resumable: readResumable(storage.section("resumable"), stateDir, env),
  };
}

/** Reads `[storage.resumable]`; `GROUNDWORK_RESUMABLE_PATH` overrides the folder. */
function readResumable(
  section: TableReader,
  stateDir: string,
  env: NodeJS.ProcessEnv,
): ResumableUploadsConfig {
  const folder =
    env.GROUNDWORK_RESUMABLE_PATH || section.string("path", path.join(stateDir, "storage-resumable"));
  return {
    path: path.resolve(stateDir, "..", folder),
    expireAfterSeconds: section.integer("expire_after_seconds", 24 * 3600, { min: 1 }),
  };
}
