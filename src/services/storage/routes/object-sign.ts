import type { FastifyInstance } from "fastify";
import { asCaller } from "../caller.js";
import { errors } from "../errors.js";
import { mustBeValidBucketName } from "../keys.js";
import { signToken } from "../signed-url.js";
import { OPERATIONS, type StorageDeps } from "../types.js";
import { bodyInteger, jsonBody } from "./input.js";
import { objectPath } from "./object-path.js";
import { callerObject } from "./object-read.js";

const NOT_FOUND = "Either the object does not exist or you do not have access to it";

/** `createSignedUrl(s)`: tokens for objects the caller may read (reference/storage.md §7). */
export function objectSignRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  scope.post("/object/sign/:bucket/*", async (request) => {
    const { bucket, name } = objectPath(request);
    const body = jsonBody(request);
    const expiresIn = bodyInteger(body, "expiresIn", 1);
    if (expiresIn === undefined) throw errors.missingParameter("expiresIn");
    await callerObject(deps, request, OPERATIONS.sign);
    const transform = body.transform;
    const transformations =
      transform && typeof transform === "object" ? encodeTransform(transform) : undefined;
    const token = await signToken(
      deps.signingSecret,
      { url: `${bucket}/${name}`, scope: "download", ...(transformations ? { transformations } : {}) },
      expiresIn,
    );
    const route = transformations ? "/render/image/sign" : "/object/sign";
    return { signedURL: `${route}/${bucket}/${name}?token=${token}` };
  });

  scope.post("/object/sign/:bucket", async (request) => {
    const { bucket } = request.params as { bucket: string };
    mustBeValidBucketName(bucket);
    const body = jsonBody(request);
    const expiresIn = bodyInteger(body, "expiresIn", 1);
    if (expiresIn === undefined) throw errors.missingParameter("expiresIn");
    const paths = body.paths;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== "string"))
      throw errors.invalidParameter("paths");
    if (paths.length > 1000)
      throw errors.invalidRequest("Bulk object requests are limited to 1000 objects per request.");
    const visible = await asCaller(
      deps,
      request,
      OPERATIONS.signMany,
      async (client) => {
        const { rows } = await client.query<{ name: string }>(
          "select name from storage.objects where bucket_id = $1 and name = any($2::text[])",
          [bucket, paths],
        );
        return new Set(rows.map((row) => row.name));
      },
      { readOnly: true },
    );
    return Promise.all(
      (paths as string[]).map(async (path) => {
        if (!visible.has(path)) return { error: NOT_FOUND, path, signedURL: null };
        const token = await signToken(
          deps.signingSecret,
          { url: `${bucket}/${path}`, scope: "download" },
          expiresIn,
        );
        return { error: null, path, signedURL: `/object/sign/${bucket}/${path}?token=${token}` };
      }),
    );
  });
}

/** Transform options in the form Supabase puts them in a token: `width:100,height:100,resize:cover`. */
export function encodeTransform(transform: object): string {
  return Object.entries(transform)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}:${String(value)}`)
    .join(",");
}
