import type { FastifyInstance, FastifyRequest } from "fastify";
import { actorOf } from "../audit.js";
import { callerSub } from "../caller.js";
import { signToken, verifyToken } from "../signed-url.js";
import { OPERATIONS, type Operation, type StorageDeps } from "../types.js";
import { bucketLimits, checkBeforeBytes, storeUpload, type UploadInput } from "../upload.js";
import { readUploadBody } from "../upload-body.js";
import { probeUpload } from "../upload-probe.js";
import { objectPath } from "./object-path.js";

/** Signed upload URLs are valid for two hours, as hosted Supabase documents. */
const SIGNED_UPLOAD_SECONDS = 7200;

/**
 * Uploads: `POST` (create; `x-upsert: true` overwrites), `PUT` (update: replaces or creates),
 * signed upload URLs and uploads to them (reference/storage.md §2, §6).
 */
export function objectUploadRoutes(scope: FastifyInstance, deps: StorageDeps): void {
  const upload = (operation: Operation, upsertAlways: boolean) => async (request: FastifyRequest) => {
    const { bucket, name } = objectPath(request);
    await deps.uploadLimit.take(request);
    const limits = await bucketLimits(deps, bucket);
    const upsert = upsertAlways || request.headers["x-upsert"] === "true";
    const owner = callerSub(request);
    const body = await readUploadBody(request);
    const input: UploadInput = { bucket: limits, name, upsert, owner, actor: actorOf(request), ...body };
    checkBeforeBytes(deps, input);
    await probeUpload(deps, request, operation, { bucket, name, owner, upsert });
    const row = await storeUpload(deps, input, body.file);
    return { Id: row.id, Key: `${bucket}/${name}` };
  };
  scope.post("/object/:bucket/*", { config: { streamBody: true } }, upload(OPERATIONS.upload, false));
  scope.put("/object/:bucket/*", { config: { streamBody: true } }, upload(OPERATIONS.uploadUpdate, true));

  scope.post("/object/upload/sign/:bucket/*", async (request) => {
    const { bucket, name } = objectPath(request);
    await bucketLimits(deps, bucket);
    const owner = callerSub(request);
    const upsert = request.headers["x-upsert"] === "true";
    await probeUpload(deps, request, OPERATIONS.signUploadUrl, { bucket, name, owner, upsert });
    const url = `${bucket}/${name}`;
    const token = await signToken(
      deps.signingSecret,
      { url, scope: "upload", upsert, ...(owner ? { owner } : {}) },
      SIGNED_UPLOAD_SECONDS,
    );
    return { url: `/object/upload/sign/${url}?token=${token}`, token };
  });

  scope.put("/object/upload/sign/:bucket/*", { config: { streamBody: true } }, async (request) => {
    const { bucket, name } = objectPath(request);
    const token = (request.query as Record<string, unknown>).token;
    await deps.uploadLimit.take(request);
    const grant = await verifyToken(
      deps.signingSecret,
      typeof token === "string" ? token : undefined,
      "upload",
      `${bucket}/${name}`,
    );
    const limits = await bucketLimits(deps, bucket);
    const body = await readUploadBody(request);
    const input: UploadInput = {
      bucket: limits,
      name,
      upsert: grant.upsert === true,
      owner: grant.owner ?? null,
      actor: { ...actorOf(request), sub: grant.owner ?? null },
      ...body,
    };
    checkBeforeBytes(deps, input);
    await storeUpload(deps, input, body.file);
    return { Key: `${bucket}/${name}` };
  });
}
