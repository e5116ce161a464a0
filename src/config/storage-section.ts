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
  | S3BackendConfig;

/** An S3-compatible store (`[storage] backend = "s3"`, `[storage.s3]`; docs/storage.md "S3"). */
export interface S3BackendConfig {
  readonly kind: "s3";
  /** Endpoint URL of an S3-compatible service (R2, MinIO...); null: AWS S3 of `region`. */
  readonly endpoint: string | null;
  readonly region: string;
  /** The one S3 bucket every storage bucket's objects are kept in, under `<prefix><bucket>/`. */
  readonly bucket: string;
  /** Prepended to every key (`prefix`), so several projects can share one S3 bucket. */
  readonly prefix: string;
  /** Both null: the SDK's default credential chain (AWS_* variables, instance or task role). */
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  readonly forcePathStyle: boolean;
  /** Bytes per part of a multipart upload (`part_size`, at least S3's 5 MiB). */
  readonly partSize: number;
  /** Parts of one upload in flight at once (`part_concurrency`); memory per upload ≈ both multiplied. */
  readonly partConcurrency: number;
  /**
   * `checksums`: "when_supported" (the SDK's default: a CRC32 with every upload) or
   * "when_required" for services that refuse the SDK's checksum headers.
   */
  readonly checksums: "when_supported" | "when_required";
}

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

const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Reads `[storage.s3]`; secrets come in through `env(NAME)` and are never echoed in errors. */
function readS3(s3: TableReader): S3BackendConfig {
  const bucket = s3.optionalString("bucket");
  if (!bucket) throw new ConfigError(s3.file, "storage.s3.bucket", "the S3 bucket to keep files in", "none");
  const endpoint = s3.optionalString("endpoint");
  if (endpoint !== null && !URL.canParse(endpoint)) {
    throw new ConfigError(
      s3.file,
      "storage.s3.endpoint",
      "a URL such as https://s3.example.com",
      "not a URL",
    );
  }
  const accessKeyId = s3.optionalString("access_key_id");
  const secretAccessKey = s3.optionalString("secret_access_key");
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    const missing = accessKeyId === null ? "access_key_id" : "secret_access_key";
    throw new ConfigError(
      s3.file,
      `storage.s3.${missing}`,
      "both keys or neither (the SDK's credential chain)",
      "only one set",
    );
  }
  const prefix = s3.string("prefix", "");
  if (prefix !== "" && !/^[A-Za-z0-9_.\-/]*\/$/.test(prefix)) {
    throw new ConfigError(
      s3.file,
      "storage.s3.prefix",
      'letters, digits, "_.-/", ending in "/"',
      JSON.stringify(prefix),
    );
  }
  const partSize = s3.byteSize("part_size", 8 * 1024 * 1024);
  if (partSize < MIN_PART_SIZE) {
    throw new ConfigError(
      s3.file,
      "storage.s3.part_size",
      "at least 5MiB (S3's smallest part)",
      String(partSize),
    );
  }
  const checksums = s3.string("checksums", "when_supported");
  if (checksums !== "when_supported" && checksums !== "when_required") {
    throw new ConfigError(
      s3.file,
      "storage.s3.checksums",
      '"when_supported" or "when_required"',
      JSON.stringify(checksums),
    );
  }
  return {
    kind: "s3",
    endpoint,
    region: s3.string("region", "us-east-1"),
    bucket,
    prefix,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: s3.boolean("force_path_style", endpoint !== null),
    partSize,
    partConcurrency: s3.integer("part_concurrency", 4, { min: 1, max: 64 }),
    checksums,
  };
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
    backend = readS3(storage.section("s3"));
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
