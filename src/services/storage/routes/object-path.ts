import type { FastifyRequest } from "fastify";
import { errors } from "../errors.js";
import { mustBeValidBucketName, mustBeValidKey, objectNameFromPath } from "../keys.js";

/** The bucket and object name of a `/…/:bucket/*` route, validated. */
export function objectPath(request: FastifyRequest): { bucket: string; name: string } {
  const params = request.params as { bucket: string; "*": string };
  mustBeValidBucketName(params.bucket);
  // find-my-way has decoded the tail once; collapse slashes as storage-js does when it builds it.
  const name = objectNameFromPath(encodeURIComponent(params["*"] ?? ""));
  if (name === null) throw errors.invalidKey(params["*"] ?? "");
  mustBeValidKey(name);
  return { bucket: params.bucket, name };
}

/** `?download` / `?download=name`, as the download routes read it. */
export function downloadOption(request: FastifyRequest): string | undefined {
  const value = (request.query as Record<string, unknown>).download;
  return typeof value === "string" ? value : undefined;
}
