import { errors } from "./errors.js";

/** The transformation a render request asks for (Supabase's `TransformOptions`). */
export interface TransformOptions {
  readonly width?: number;
  readonly height?: number;
  readonly resize: "cover" | "contain" | "fill";
  readonly quality?: number;
  readonly format?: "origin" | "avif" | "webp";
}

/** Output dimensions are clamped to this, as Supabase's imgproxy clamps them. */
const MAX_DIMENSION = 2500;
/** Largest source image read, in bytes and in pixels (against decompression bombs and pixel floods). */
export const MAX_SOURCE_BYTES = 25 * 1024 * 1024;
const MAX_SOURCE_PIXELS = 50_000_000;

const RESIZE = { cover: "cover", contain: "inside", fill: "fill" } as const;

/** Parses render query parameters (or a signed token's `width:100,height:50` string). */
export function parseTransform(params: Readonly<Record<string, unknown>>): TransformOptions {
  const integer = (name: string, min: number, max: number): number | undefined => {
    const value = params[name];
    if (value === undefined || value === "") return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw errors.invalidParameter(name);
    return number === 0 ? undefined : Math.min(Math.max(number, min), max);
  };
  const resize = params.resize ?? "cover";
  if (resize !== "cover" && resize !== "contain" && resize !== "fill")
    throw errors.invalidParameter("resize");
  const format = params.format;
  if (format !== undefined && format !== "origin" && format !== "avif" && format !== "webp") {
    throw errors.invalidParameter("format");
  }
  const quality = params.quality;
  if (
    quality !== undefined &&
    (!Number.isInteger(Number(quality)) || Number(quality) < 20 || Number(quality) > 100)
  ) {
    throw errors.invalidParameter("quality");
  }
  return {
    width: integer("width", 1, MAX_DIMENSION),
    height: integer("height", 1, MAX_DIMENSION),
    resize,
    quality: quality === undefined ? undefined : Number(quality),
    format,
  };
}

/** `width:100,height:50,resize:cover` -> its parameters. */
export function transformFromToken(encoded: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of encoded.split(",")) {
    const [name, value] = part.split(":");
    if (name && value) params[name] = value;
  }
  return params;
}

/** The output format: asked for, else WebP when the client accepts it, else the source's. */
export function outputFormat(options: TransformOptions, accept: string | undefined): "avif" | "webp" | null {
  if (options.format === "avif" || options.format === "webp") return options.format;
  if (options.format === "origin") return null;
  return accept?.includes("image/webp") ? "webp" : null;
}

/**
 * Transforms an image with sharp. A source that is not an image, or larger than the bounds,
 * is a client error (`InvalidRequest`), never a 500.
 */
export async function transformImage(
  source: Buffer,
  options: TransformOptions,
  format: "avif" | "webp" | null,
): Promise<{ body: Buffer; contentType: string }> {
  // Loaded on the first transform, not with the server: a native module that adds to every start.
  const { default: sharp } = await import("sharp");
  try {
    let image = sharp(source, { limitInputPixels: MAX_SOURCE_PIXELS, failOn: "error" }).rotate();
    if (options.width || options.height) {
      image = image.resize({ width: options.width, height: options.height, fit: RESIZE[options.resize] });
    }
    if (format === "webp") image = image.webp({ quality: options.quality ?? 80 });
    else if (format === "avif") image = image.avif({ quality: options.quality ?? 50 });
    else if (options.quality) image = image.jpeg({ quality: options.quality, force: false });
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { body: data, contentType: `image/${info.format === "heif" ? "avif" : info.format}` };
  } catch (error) {
    const message = (error as Error).message ?? "";
    if (/pixel limit/i.test(message))
      throw errors.invalidRequest("The image has too many pixels to transform");
    throw errors.invalidRequest(
      `The object is not an image that can be transformed: ${message.split("\n")[0]}`,
    );
  }
}
