import { Transform, type TransformCallback } from "node:stream";
import { essence, mimeTypeAllowed } from "./bucket-rules.js";
import { errors } from "./errors.js";

/** Types file-type cannot tell apart from text: their bytes carry no magic number. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|image\/svg\+xml)/;

/**
 * Checks a file's real type, read from its first bytes with `file-type`, against what was
 * declared and what the bucket allows (DESIGN.md: "real type from its bytes"). A file whose bytes
 * name a type must be that type (or one the bucket allows, if it differs from the declared one
 * only in naming); a file whose bytes name no type passes only when declared as text-like or
 * `application/octet-stream` for a bucket that allows it.
 */
export async function checkContentType(
  head: Buffer,
  declared: string,
  allowed: readonly string[] | null,
): Promise<void> {
  // Loaded on the first upload, not with the server: it adds to every start otherwise.
  const detected = head.length === 0 ? undefined : await (await import("file-type")).fileTypeFromBuffer(head);
  const declaredEssence = essence(declared);
  if (detected) {
    if (detected.mime === declaredEssence) return;
    // Container formats file-type names differently from what clients send for them.
    if (sameFamily(detected.mime, declaredEssence) && mimeTypeAllowed(detected.mime, allowed)) return;
    throw errors.mimeTypeMismatch(declaredEssence, detected.mime);
  }
  if (TEXT_TYPES.test(declaredEssence) || declaredEssence === "application/octet-stream") return;
  throw errors.mimeTypeMismatch(declaredEssence, "unknown binary content");
}

/** How many first bytes file-type reads (its `minimumBytes`). */
const HEAD_BYTES = 4100;

/**
 * Holds a body's first bytes until there are enough for file-type (or the body ended), checks
 * them with {@link checkContentType}, then lets the body through: a file of the wrong type fails
 * the stream before any of it is written or scanned.
 */
export class ContentTypeCheck extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private checked = false;

  constructor(
    private readonly declared: string,
    private readonly allowed: readonly string[] | null,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.checked) {
      callback(null, chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= HEAD_BYTES) this.release(callback);
    else callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.checked) callback();
    else this.release(callback);
  }

  private release(callback: TransformCallback): void {
    this.checked = true;
    const first = this.held[0];
    const head =
      first && first.length >= HEAD_BYTES
        ? first.subarray(0, HEAD_BYTES)
        : Buffer.concat(this.held, Math.min(this.heldBytes, HEAD_BYTES));
    checkContentType(head, this.declared, this.allowed).then(() => {
      for (const chunk of this.held) this.push(chunk);
      this.held = [];
      callback();
    }, callback);
  }
}

function sameFamily(detected: string, declared: string): boolean {
  const aliases: Record<string, string[]> = {
    "image/jpeg": ["image/jpg", "image/pjpeg"],
    "application/x-cfb": ["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"],
    "application/zip": [
      "application/x-zip-compressed",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
    "audio/mpeg": ["audio/mp3"],
    "video/quicktime": ["video/mp4"],
  };
  return aliases[detected]?.includes(declared) ?? false;
}
