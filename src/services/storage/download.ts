import type { FastifyReply, FastifyRequest } from "fastify";
import { actorOf, recordFileEvent } from "./audit.js";
import { BlobNotFound, type ByteRange } from "./backend/backend.js";
import { errors } from "./errors.js";
import type { ObjectRow, StorageDeps } from "./types.js";

/**
 * Parses a single `Range: bytes=...` header against the object's size: null when absent (the
 * whole object), `InvalidRange` when unsatisfiable. Only the first of several ranges is served,
 * as S3 does. Hand-written: the header grammar is three cases, not worth a dependency.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) throw errors.invalidRange();
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) throw errors.invalidRange();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) throw errors.invalidRange();
  return { start, end };
}

export interface SendOptions {
  /** `?download` / `?download=name`: an attachment disposition. */
  readonly download?: string;
  /** HEAD: headers only. */
  readonly headOnly?: boolean;
  /** How the caller reached the bytes, for the access log: `authenticated`, `public`, `signed`. */
  readonly via: "authenticated" | "public" | "signed";
}

/**
 * Streams an object's current bytes with Storage's headers (reference/storage.md §2 "Download
 * response headers"): 206 for a Range, 304 when `If-None-Match` matches.
 */
export async function sendObject(
  deps: StorageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  row: ObjectRow,
  options: SendOptions,
): Promise<FastifyReply> {
  const metadata = row.metadata;
  const size = Number(metadata?.size ?? 0);
  const eTag = metadata?.eTag ?? `"${row.version ?? ""}"`;
  reply
    .header("content-type", metadata?.mimetype ?? "application/octet-stream")
    .header("cache-control", metadata?.cacheControl ?? "no-cache")
    .header("etag", eTag)
    .header("last-modified", metadata?.lastModified ?? new Date(row.updated_at).toUTCString())
    .header("accept-ranges", "bytes");
  if (options.download !== undefined) reply.header("content-disposition", disposition(options.download));
  if (request.headers["if-none-match"] === eTag) return reply.code(304).send();
  const range = parseRange(request.headers.range, size);
  if (options.headOnly) return reply.header("content-length", String(size)).code(200).send();
  if (!row.version) throw errors.noSuchKey();
  let body: NodeJS.ReadableStream;
  try {
    body = await deps.backend.read(
      { bucket: row.bucket_id, name: row.name, version: row.version },
      range ?? undefined,
    );
  } catch (error) {
    if (error instanceof BlobNotFound) throw errors.noSuchKey();
    throw error;
  }
  await recordFileEvent(
    deps,
    "DOWNLOAD",
    row.bucket_id,
    row.name,
    { version: row.version, via: options.via, range: range ? `${range.start}-${range.end}` : null },
    actorOf(request),
  );
  if (range) {
    reply
      .code(206)
      .header("content-range", `bytes ${range.start}-${range.end}/${size}`)
      .header("content-length", String(range.end - range.start + 1));
  } else {
    reply.code(200).header("content-length", String(size));
  }
  return reply.send(body);
}

function disposition(name: string): string {
  if (name === "" || name === "true") return "attachment;";
  const encoded = encodeURIComponent(name);
  return `attachment; filename=${encoded}; filename*=UTF-8''${encoded}`;
}
