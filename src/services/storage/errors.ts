import type { FastifyReply } from "fastify";
import { JwtError } from "../../request/jwt.js";

/**
 * A Storage error as Supabase Storage renders it: HTTP 400 for everything that is not our own
 * fault, the logical status as a string in `statusCode` (reference/storage.md §4). A few errors
 * keep their real status on the wire (`httpStatus`): 416 for an unsatisfiable Range, 429 for rate
 * limits, 500 for our own faults.
 */
export class StorageError extends Error {
  constructor(
    readonly code: string,
    /** The logical status, sent as a string in `statusCode`. */
    readonly status: number,
    message: string,
    /** The legacy `error` field; the code when the catalogue gives none. */
    readonly error: string = code,
    /** The status line sent; 400 unless the error keeps its own. */
    readonly httpStatus: number = status >= 500 ? status : 400,
    /** Extra response headers (Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "StorageError";
  }
}

/** The catalogue: one factory per code, worded as Supabase Storage words them. */
export const errors = {
  noSuchBucket: () => new StorageError("NoSuchBucket", 404, "Bucket not found", "Bucket not found"),
  noSuchKey: () => new StorageError("NoSuchKey", 404, "Object not found", "not_found"),
  keyAlreadyExists: () =>
    new StorageError("KeyAlreadyExists", 409, "The resource already exists", "Duplicate"),
  resourceAlreadyExists: () =>
    new StorageError("ResourceAlreadyExists", 409, "The resource already exists", "Duplicate"),
  bucketAlreadyExists: () =>
    new StorageError("BucketAlreadyExists", 409, "The resource already exists", "Duplicate"),
  bucketNotEmpty: () =>
    new StorageError(
      "InvalidRequest",
      409,
      "The bucket you tried to delete is not empty",
      "ResourceNotEmpty",
    ),
  accessDenied: (message = "Access denied") => new StorageError("AccessDenied", 403, message, "Unauthorized"),
  rlsDenied: () =>
    new StorageError("AccessDenied", 403, "new row violates row-level security policy", "Unauthorized"),
  invalidJwt: (message = "Invalid JWT") => new StorageError("InvalidJWT", 400, message),
  invalidMimeType: (mimeType: string) =>
    new StorageError("InvalidMimeType", 415, `mime type ${mimeType} is not supported`, "invalid_mime_type"),
  /** Groundwork's content check: the bytes are of another type than the one declared. */
  mimeTypeMismatch: (declared: string, detected: string) =>
    new StorageError(
      "InvalidMimeType",
      415,
      `mime type ${declared} does not match the file's content (${detected})`,
      "invalid_mime_type",
    ),
  entityTooLarge: () =>
    new StorageError(
      "EntityTooLarge",
      413,
      "The object exceeded the maximum allowed size",
      "Payload too large",
    ),
  invalidBucketName: () => new StorageError("InvalidBucketName", 400, "Bucket name invalid", "Invalid Input"),
  invalidKey: (key: string) => new StorageError("InvalidKey", 400, `Invalid key: ${key}`),
  invalidRequest: (message: string) => new StorageError("InvalidRequest", 400, message),
  missingParameter: (name: string) =>
    new StorageError("MissingParameter", 400, `Missing Required Parameter ${name}`),
  invalidParameter: (name: string) => new StorageError("InvalidParameter", 400, `Invalid Parameter ${name}`),
  invalidSignature: (message = "Invalid signature") => new StorageError("InvalidSignature", 400, message),
  expiredToken: () => new StorageError("ExpiredToken", 400, "The provided token has expired."),
  invalidRange: () => new StorageError("InvalidRange", 416, "invalid range provided", "invalid_range", 416),
  invalidContentType: () => new StorageError("InvalidMimeType", 415, "Invalid Content-Type header"),
  invalidFileSizeLimit: () =>
    new StorageError(
      "InvalidRequest",
      400,
      "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B",
      "Invalid Input",
    ),
  /** Groundwork's virus scan found something; the file went to the quarantine. */
  infected: (signature: string) =>
    new StorageError(
      "VirusDetected",
      422,
      `The file is infected (${signature}) and was quarantined`,
      "virus_detected",
    ),
  scannerUnavailable: () =>
    new StorageError(
      "ScannerUnavailable",
      503,
      "The virus scanner is unavailable; try again later",
      "scanner_unavailable",
      503,
    ),
  tooManyUploads: (retryAfter: number) =>
    new StorageError("SlowDown", 429, "Too many uploads; try again later", "too_many_requests", 429, {
      "retry-after": String(retryAfter),
    }),
  featureDisabled: (feature: string) =>
    new StorageError("FeatureNotEnabled", 400, `feature ${feature} is not enabled`),
  notFound: (method: string, url: string) =>
    new StorageError("NotFound", 404, `Route ${method}:${url} not found`, "Not Found"),
  internal: () => new StorageError("InternalError", 500, "Internal server error", "Internal"),
} as const;

/** A PostgreSQL error as the driver raises it. */
interface PgErrorLike {
  readonly code?: unknown;
  readonly message: string;
}

/** SQLSTATEs Storage names (reference/storage.md §4), others become `DatabaseError`. */
export function fromDatabase(error: PgErrorLike): StorageError {
  switch (error.code) {
    case "42501":
      return error.message.includes("row-level security")
        ? errors.rlsDenied()
        : errors.accessDenied(error.message);
    case "22023":
      // A token naming a role the database does not have ("role \"x\" does not exist").
      return errors.accessDenied(error.message);
    case "22P05":
      return errors.invalidRequest("The request holds characters the database cannot store");
    case "23505":
      return errors.resourceAlreadyExists();
    case "23503":
      return errors.noSuchBucket();
    case "57014":
      return new StorageError("DatabaseTimeout", 544, "The database timed out", "DatabaseTimeout", 400);
    case "55P03":
      return new StorageError("ResourceLocked", 423, "The resource is locked");
    case "22P02":
    case "22003":
    case "22001":
    case "22021":
    case "54000":
      return new StorageError("InvalidParameter", 400, "Invalid Parameter");
    case "P0001":
      return errors.invalidRequest(error.message);
    default:
      return new StorageError(
        "DatabaseError",
        500,
        `database error, code: ${String(error.code)}`,
        "DatabaseError",
      );
  }
}

/** Any thrown value as the error to render (token errors worded as Storage words them). */
export function toStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  if (error instanceof JwtError) return errors.accessDenied(jwtMessage(error));
  if (isPgError(error)) return fromDatabase(error);
  const fastify = error as { code?: string; statusCode?: number; message?: string };
  if (fastify.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return errors.invalidContentType();
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE") return errors.entityTooLarge();
  if (typeof fastify.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return new StorageError("InvalidRequest", fastify.statusCode, fastify.message ?? "Invalid request");
  }
  return errors.internal();
}

/** The verifier's words for a refused token, as Storage's `jose` verifier puts them. */
function jwtMessage(error: JwtError): string {
  switch (error.reason) {
    case "missing":
    case "malformed":
      return "Invalid Compact JWS";
    case "bad_algorithm":
      return '"alg" (Algorithm) Header Parameter value not allowed';
    case "bad_signature":
      return "signature verification failed";
    case "expired":
      return '"exp" claim timestamp check failed';
    case "not_yet_valid":
      return '"nbf" claim timestamp check failed';
    case "issued_in_future":
      return '"iat" claim timestamp check failed';
    case "invalid_claims":
      return error.detail.claim ? `"${error.detail.claim}" claim must be a number` : "Invalid JWT";
    case "invalid_api_key":
      return "Invalid API key";
  }
}

function isPgError(error: unknown): error is PgErrorLike {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as unknown as { code: string }).code) &&
    "severity" in error
  );
}

/** Renders an error in Storage's body shape. */
export function sendStorageError(reply: FastifyReply, error: StorageError): FastifyReply {
  return reply
    .code(error.httpStatus)
    .headers(error.headers)
    .type("application/json; charset=utf-8")
    .send({ statusCode: String(error.status), code: error.code, error: error.error, message: error.message });
}
