import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  paginateListObjectsV2,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { S3BackendConfig } from "../../../config/storage-section.js";
import { type BlobKey, BlobNotFound, type ByteRange, type StorageBackend } from "./backend.js";
import { ByteCounter } from "./byte-counter.js";
import { hashedName } from "./hashed-name.js";
import { Md5Stream } from "./md5-stream.js";

/** Enough sockets for many downloads streaming at once (the SDK's default is 50). */
const MAX_SOCKETS = 256;

/**
 * Bytes in one S3 bucket (AWS S3, Cloudflare R2, MinIO, any S3-compatible store). A version lives
 * at `<prefix><bucket>/<sha256(name)>/<version>`, the same layout as the local folder: keys are
 * short and ASCII whatever the name, and a version is written once and never overwritten, so
 * nothing about an object lives in this process and any number of API processes can share the
 * bucket. An upload streams through `@aws-sdk/lib-storage` in parts of `part_size` (one
 * PutObject when it fits in one part); when it fails, its multipart upload is aborted, so no
 * object appears at the key.
 */
export function s3Backend(config: S3BackendConfig): StorageBackend {
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint ?? undefined,
    forcePathStyle: config.forcePathStyle,
    credentials:
      config.accessKeyId !== null && config.secretAccessKey !== null
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
        : undefined,
    requestChecksumCalculation: config.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED",
    responseChecksumValidation: config.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED",
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
    },
  });
  const Bucket = config.bucket;
  const bucketPrefix = (bucket: string) => `${config.prefix}${keySegment(bucket)}/`;
  const keyOf = (key: BlobKey) => `${bucketPrefix(key.bucket)}${hashedName(key.name)}/${key.version}`;

  return {
    kind: "s3",
    async write(key, body) {
      // The ETag is the MD5 of the bytes (a multipart upload's own ETag is not), taken on the way.
      const md5 = new Md5Stream();
      const counter = new ByteCounter();
      // A failing body destroys the counter, which fails the upload; the body's own error is
      // the one to report (the client's fault, such as a cut connection or too many bytes).
      const piped = pipeline(body, md5, counter).catch(() => {});
      const upload = new Upload({
        client,
        params: { Bucket, Key: keyOf(key), Body: counter },
        partSize: config.partSize,
        queueSize: config.partConcurrency,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        const bodyFailure = failureOf(body);
        counter.destroy();
        await piped;
        throw bodyFailure ?? error;
      }
      await piped;
      return { size: counter.bytes, eTag: `"${await md5.digest()}"` };
    },
    async read(key, range?: ByteRange) {
      try {
        const response = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: keyOf(key),
            Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          }),
        );
        return response.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) throw new BlobNotFound(key);
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    async copy(from, to) {
      try {
        await client.send(
          new CopyObjectCommand({
            Bucket,
            Key: keyOf(to),
            CopySource: `${Bucket}/${keyOf(from).split("/").map(encodeURIComponent).join("/")}`,
          }),
        );
      } catch (error) {
        if (isNotFound(error)) throw new BlobNotFound(from);
        throw error;
      }
    },
    async *list(bucket) {
      // Names are hashed in keys, so the sweep matches keys by hash: `name` here is the hash.
      const prefix = bucketPrefix(bucket);
      for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
          const [hashed, version, ...rest] = (object.Key ?? "").slice(prefix.length).split("/");
          if (hashed && version && rest.length === 0) yield { bucket, name: hashed, version };
        }
      }
    },
    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        const where = config.endpoint ?? `AWS S3 in ${config.region}`;
        throw new Error(`the S3 bucket "${Bucket}" at ${where} cannot be used: ${describeError(error)}`);
      }
    },
    async close() {
      client.destroy();
    },
  };
}

/**
 * A bucket id as one key segment. Bucket ids may hold spaces and `?&+=:` (keys.ts); percent-
 * encoding every character outside `[A-Za-z0-9_.~-]` keeps keys plain ASCII that no S3 service
 * reads differently.
 */
function keySegment(bucket: string): string {
  return encodeURIComponent(bucket).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The body's own error, when it failed before the upload did. */
function failureOf(body: Readable): Error | null {
  if (body.errored) return body.errored;
  if (body.destroyed && !body.readableEnded) {
    return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
  }
  return null;
}

/** An SDK error in a few words (a HEAD answer has no body, so often only its status). */
function describeError(error: unknown): string {
  const { name, message, $metadata } = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = $metadata?.httpStatusCode;
  return [name, status ? `HTTP ${status}` : null, message && message !== name ? message : null]
    .filter(Boolean)
    .join(", ");
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound";
}
