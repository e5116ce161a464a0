import type { Readable } from "node:stream";
import busboy from "busboy";
import type { FastifyRequest } from "fastify";
import { errors } from "./errors.js";

/** An upload body as Storage reads it (reference/storage.md §3), the file still streaming. */
export interface UploadBody {
  readonly file: Readable;
  readonly mimeType: string;
  readonly cacheControl: string;
  readonly userMetadata: Record<string, unknown> | null;
  /** The announced byte count of a raw body; null for multipart (it includes the form). */
  readonly contentLength: number | null;
}

/**
 * Reads an upload: `multipart/form-data` (fields `cacheControl`, `metadata`, `contentType`, then
 * the file part, the way storage-js sends a Blob or FormData) or a raw body with `content-type`,
 * `cache-control` and `x-metadata` headers. Resolves once the file part starts.
 */
export function readUploadBody(request: FastifyRequest): Promise<UploadBody> {
  const contentType = request.headers["content-type"] ?? "";
  if (/^multipart\/form-data/i.test(contentType)) return readMultipart(request);
  return Promise.resolve({
    file: request.raw,
    mimeType: contentType || "application/octet-stream",
    cacheControl: request.headers["cache-control"] ?? "no-cache",
    userMetadata: decodeMetadataHeader(request.headers["x-metadata"]),
    contentLength: contentLengthOf(request),
  });
}

function readMultipart(request: FastifyRequest): Promise<UploadBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { fields: 10, files: 1, fieldSize: 64 * 1024 } });
    } catch {
      reject(errors.invalidContentType());
      return;
    }
    const fields: Record<string, string> = {};
    let settled = false;
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (_name, file, info) => {
      if (settled) {
        file.resume();
        return;
      }
      settled = true;
      // Until the upload pipes it (after the permission probe), an error of a truncated form
      // must not go unheard; the pipeline then sees the stream destroyed and fails the upload.
      file.on("error", () => {});
      let userMetadata: Record<string, unknown> | null = null;
      try {
        userMetadata = parseMetadata(fields.metadata ?? fields.userMetadata);
      } catch (error) {
        file.resume();
        reject(error);
        return;
      }
      const cacheControl = fields.cacheControl ? `max-age=${fields.cacheControl}` : "no-cache";
      resolve({
        file,
        mimeType: fields.contentType || info.mimeType || "application/octet-stream",
        cacheControl,
        userMetadata,
        contentLength: null,
      });
    });
    parser.on("error", (error: Error) => {
      if (!settled) {
        settled = true;
        reject(errors.invalidRequest(`Invalid multipart body: ${error.message}`));
      }
    });
    parser.on("close", () => {
      if (!settled) {
        settled = true;
        reject(errors.invalidRequest("The multipart body holds no file"));
      }
    });
    request.raw.pipe(parser);
  });
}

function contentLengthOf(request: FastifyRequest): number | null {
  const header = request.headers["content-length"];
  if (header === undefined) return null;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** `x-metadata`: base64 of a JSON object (storage-js). */
function decodeMetadataHeader(header: string | string[] | undefined): Record<string, unknown> | null {
  if (typeof header !== "string" || header === "") return null;
  return parseMetadata(Buffer.from(header, "base64").toString("utf8"));
}

/** User metadata sent as JSON text (a form field, a header, TUS's Upload-Metadata): an object or nothing. */
export function parseMetadata(text: string | null | undefined): Record<string, unknown> | null {
  if (text === undefined || text === null || text === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.invalidRequest("metadata must be a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw errors.invalidRequest("metadata must be a JSON object");
  }
  return value as Record<string, unknown>;
}
