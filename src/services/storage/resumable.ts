import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { Readable } from "node:stream";
import { FileStore } from "@tus/file-store";
import { EVENTS, MemoryLocker, Server, type ServerOptions, type Upload } from "@tus/server";
import type { FastifyReply, FastifyRequest } from "fastify";
import { actorOf } from "./audit.js";
import { callerSub } from "./caller.js";
import { errors, StorageError, toStorageError } from "./errors.js";
import { type ResumableRecord, recordFromClient, recordOf, recordToMetadata } from "./resumable-record.js";
import { verifyToken } from "./signed-url.js";
import { OPERATIONS, type StorageDeps } from "./types.js";
import { bucketLimits, checkBeforeBytes, storeUpload, type UploadInput } from "./upload.js";
import { probeUpload } from "./upload-probe.js";

/** Where tus-js-client and Uppy send resumable uploads, as on Supabase. */
export const RESUMABLE_PATH = "/storage/v1/upload/resumable";
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type TusRequest = Parameters<NonNullable<ServerOptions["onIncomingRequest"]>>[0];

/** One request as the tus hooks need it: the caller's request, the route's kind and upload id. */
interface RequestEntry {
  readonly request: FastifyRequest;
  /** Under `/upload/resumable/sign`: the `x-signature` token grants the upload, not the caller. */
  readonly signed: boolean;
  readonly id: string | null;
}

/** The tus server behind the resumable upload routes. */
export interface ResumableUploads {
  /** Hands a request to the tus server, which answers it. */
  handle(
    request: FastifyRequest,
    reply: FastifyReply,
    route: { signed: boolean; id?: string },
  ): Promise<void>;
}

/**
 * Resumable uploads with `@tus/server` (the protocol) and `@tus/file-store` (chunks staged in
 * `[storage.resumable] path`), checked the way every upload is (reference/storage.md §3, §6):
 * creation refuses an upload RLS would refuse, a declared type the bucket does not take or an
 * `Upload-Length` over its limit, before a chunk is stored; each later request must come from the
 * creator (or carry the same upload token); once the last chunk arrives, the staged file goes
 * through {@link storeUpload} like a plain upload — real type, size, ClamAV, then bytes and row
 * together — and the staged copy is removed whatever the outcome.
 */
export function resumableUploads(
  deps: StorageDeps,
  log: (message: string, error: unknown) => void,
): ResumableUploads {
  const entries = new WeakMap<object, RequestEntry>();
  const finishing = new Set<string>();
  const settings = deps.config.storage.server.resumable;
  let server: Promise<Server> | null = null;

  const entryOf = (req: TusRequest): RequestEntry => {
    const raw = req.runtime?.node?.req;
    const entry = raw ? entries.get(raw) : undefined;
    if (!entry) throw new Error("a resumable upload request reached the tus server without its route");
    return entry;
  };

  const create = async (): Promise<Server> => {
    // FileStore creates its folder in its constructor and throws from a callback if it cannot.
    await mkdir(settings.path, { recursive: true });
    const datastore = new FileStore({
      directory: settings.path,
      expirationPeriodInMilliseconds: settings.expireAfterSeconds * 1000,
    });

    /** The grant of a request under `/sign`: its token, for the object the upload writes. */
    const signedGrant = async (entry: RequestEntry, bucket: string, name: string) => {
      const token = entry.request.headers["x-signature"];
      if (typeof token !== "string" || token === "")
        throw errors.invalidSignature("Missing x-signature header");
      return verifyToken(deps.signingSecret, token, "upload", `${bucket}/${name}`);
    };

    /** HEAD, PATCH and DELETE of an upload: the same caller (or token) as its creation. */
    const authorize = async (entry: RequestEntry, record: ResumableRecord, method: string) => {
      if (entry.signed !== record.signed) throw errors.accessDenied("The upload was created another way");
      if (record.signed) {
        await signedGrant(entry, record.bucket, record.name);
        return;
      }
      if (callerSub(entry.request) !== record.owner)
        throw errors.accessDenied("The upload belongs to another user");
      // The policies may have changed, or the object appeared, since the upload was created.
      if (method !== "HEAD") {
        const operation = method === "DELETE" ? OPERATIONS.tusDelete : OPERATIONS.tusPart;
        await probeUpload(deps, entry.request, operation, record);
      }
    };

    const inputOf = async (record: ResumableRecord, entry: RequestEntry, size: number | null) => {
      const input: UploadInput = {
        bucket: await bucketLimits(deps, record.bucket),
        name: record.name,
        upsert: record.upsert,
        owner: record.owner,
        mimeType: record.mimeType,
        cacheControl: record.cacheControl,
        userMetadata: record.userMetadata,
        contentLength: size,
        actor: { ...actorOf(entry.request), sub: record.owner },
      };
      checkBeforeBytes(deps, input);
      return input;
    };

    const options: ServerOptions & { datastore: FileStore } = {
      path: RESUMABLE_PATH,
      datastore,
      // Locks are per process: an upload's requests must reach the process holding its staged
      // chunks anyway (docs/storage.md "Resumable uploads").
      locker: new MemoryLocker(),
      maxSize: deps.config.storage.fileSizeLimit,
      disableTerminationForFinishedUploads: true,
      allowedHeaders: [
        "Authorization",
        "X-Upsert",
        "Upload-Expires",
        "ApiKey",
        "x-signature",
        "x-client-info",
      ],
      namingFunction: () => randomUUID(),
      getFileIdFromRequest: (req) => {
        const id = entryOf(req).id;
        return id !== null && UPLOAD_ID.test(id) ? id : undefined;
      },
      generateUrl: (req, { id }) => {
        const { request, signed } = entryOf(req);
        return `${request.protocol}://${request.host}${RESUMABLE_PATH}${signed ? "/sign" : ""}/${id}`;
      },
      async onIncomingRequest(req, id) {
        if (req.method === "POST") return;
        let upload: Upload;
        try {
          upload = await datastore.getUpload(id);
        } catch {
          return; // the handler answers 404 (or 410 for an expired upload)
        }
        await authorize(entryOf(req), recordOf(upload), req.method);
      },
      async onUploadCreate(req, upload) {
        const entry = entryOf(req);
        let record: ResumableRecord;
        if (entry.signed) {
          const asked = recordFromClient(upload.metadata, { owner: null, upsert: false, signed: true });
          const grant = await signedGrant(entry, asked.bucket, asked.name);
          record = { ...asked, owner: grant.owner ?? null, upsert: grant.upsert === true };
        } else {
          record = recordFromClient(upload.metadata, {
            owner: callerSub(entry.request),
            upsert: entry.request.headers["x-upsert"] === "true",
            signed: false,
          });
        }
        await inputOf(record, entry, upload.size ?? null);
        if (!record.signed) await probeUpload(deps, entry.request, OPERATIONS.tusCreate, record);
        return { metadata: recordToMetadata(record) };
      },
      async onUploadFinish(req, upload) {
        const entry = entryOf(req);
        if (finishing.has(upload.id)) throw errors.invalidRequest("The upload is already being completed");
        finishing.add(upload.id);
        try {
          const record = recordOf(upload);
          const input = await inputOf(record, entry, upload.size ?? null);
          await storeUpload(deps, input, datastore.read(upload.id) as Readable);
          return { headers: { "Tus-Complete": "1" } };
        } catch (error) {
          // A finished upload cannot be sent again: its staged bytes go whatever was refused.
          await removeStaged(upload.id);
          throw error;
        } finally {
          finishing.delete(upload.id);
        }
      },
      onResponseError(req, error) {
        if (!(error instanceof Error)) {
          // The protocol's own refusals; those of extensions the store lacks are the client's asking.
          return error.status_code > 500 ? { status_code: 400, body: error.body } : undefined;
        }
        const storageError = toStorageError(error);
        if (!(error instanceof StorageError) && storageError.status >= 500) {
          entryOf(req).request.log.error({ err: error }, "resumable upload failed");
        }
        return { status_code: storageError.status, body: storageError.message };
      },
    };
    const removeStaged = (id: string) =>
      datastore.remove(id).catch((error: unknown) => log(`could not remove the staged upload ${id}`, error));
    const tus = new Server(options);
    tus.on(EVENTS.POST_FINISH, (_req, _res, upload) => {
      void removeStaged(upload.id);
    });
    return tus;
  };

  return {
    async handle(request, reply, route) {
      server ??= create().catch((error: unknown) => {
        server = null;
        throw error;
      });
      const tus = await server;
      entries.set(request.raw, { request, signed: route.signed, id: route.id ?? null });
      reply.hijack();
      try {
        await tus.handle(request.raw, reply.raw);
      } catch (error) {
        request.log.error({ err: error }, "resumable upload failed");
        if (!reply.raw.headersSent) reply.raw.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        reply.raw.end("Internal server error");
      }
    },
  };
}
