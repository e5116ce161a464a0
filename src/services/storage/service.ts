import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Service, ServiceDeps } from "../service.js";
import { platformActor } from "./audit.js";
import { createStorageDeps } from "./deps.js";
import { errors, StorageError, sendStorageError, toStorageError } from "./errors.js";
import { resumableUploads } from "./resumable.js";
import { sweepExpiredUploads } from "./resumable-sweep.js";
import { bucketRoutes } from "./routes/buckets.js";
import { objectManageRoutes } from "./routes/object-manage.js";
import { objectReadRoutes } from "./routes/object-read.js";
import { objectSignRoutes } from "./routes/object-sign.js";
import { objectUploadRoutes } from "./routes/object-upload.js";
import { quarantineRoutes } from "./routes/quarantine.js";
import { renderRoutes } from "./routes/render.js";
import { resumableRoutes } from "./routes/resumable.js";
import { trashRoutes } from "./routes/trash.js";
import { seedBuckets } from "./seed.js";
import { purgeTrash } from "./trash.js";
import type { StorageDeps } from "./types.js";
import { discardUnreadBody } from "./unread-body.js";

/** JSON bodies of the non-upload routes (bucket options, list, sign...) stay small. */
const JSON_BODY_LIMIT = 1024 * 1024;
/** Seeding and the orphan sweep run this long after start (not during it), then at this interval. */
const SWEEP_DELAY_MS = 2_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;
/** The sweep, as the audit log records its purges. */
const SWEEP_ACTOR = platformActor("sweep", "groundwork storage sweep");

/**
 * The Supabase Storage-compatible service under `/storage/v1` (reference/storage.md). Rows live
 * in `storage.*` under RLS, bytes behind a backend; uploads stream straight from the socket to
 * the backend (their routes take no body parser), everything else takes JSON.
 */
export const storageService: Service = {
  name: "storage",
  prefix: "/storage/v1",
  async register(scope: FastifyInstance, serviceDeps: ServiceDeps) {
    const deps = storageDeps(serviceDeps);
    scope.addHook("onClose", async () => {
      await deps.looseBlobs.close();
      await deps.backend.close?.();
    });

    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, done) => {
      if (streamsBody(request)) {
        done(null, undefined);
        return;
      }
      readJson(payload, done);
    });
    scope.setErrorHandler((error, request, reply) => {
      const storageError = toStorageError(error);
      if (!(error instanceof StorageError) && storageError.status >= 500) {
        request.log.error({ err: error }, "storage request failed");
      }
      // An upload refused before its body was read: the rest is dropped, within bounds, so the
      // client still sending it receives the refusal (unread-body.ts).
      if (streamsBody(request) && !request.raw.complete) discardUnreadBody(request.raw);
      return sendStorageError(reply, storageError);
    });
    scope.setNotFoundHandler((request, reply) =>
      sendStorageError(reply, errors.notFound(request.method, request.url)),
    );

    bucketRoutes(scope, deps);
    objectUploadRoutes(scope, deps);
    objectReadRoutes(scope, deps);
    objectManageRoutes(scope, deps);
    objectSignRoutes(scope, deps);
    quarantineRoutes(scope, deps);
    trashRoutes(scope, deps);
    renderRoutes(scope, deps);
    resumableRoutes(
      scope,
      deps,
      resumableUploads(deps, (message, error) => serviceDeps.log.warn({ err: error }, message)),
    );
    // A non-preflight OPTIONS request matches no route; routed here, its body is read by this
    // scope's parser and any error has Storage's shape (not the framework's), then it is a 404.
    scope.options("/*", async (request, reply) =>
      sendStorageError(reply, errors.notFound(request.method, request.url)),
    );
  },

  /**
   * Seeds config.toml's buckets, then sweeps what a crash left (bytes of uploads that never
   * committed, versions dropped but not deleted) and purges the soft-deleted objects whose
   * retention ended, shortly after start and every ten minutes.
   */
  start(serviceDeps) {
    const deps = storageDeps(serviceDeps);
    const { log } = serviceDeps;
    let seeded = false;
    const run = async () => {
      try {
        if (!seeded) {
          // A store that cannot be reached (wrong bucket, keys, endpoint) is said at start, not
          // at the first upload.
          await deps.backend.check?.().catch((error: unknown) => {
            log.error({ err: error }, "storage backend cannot be reached");
          });
          const uploaded = await seedBuckets(deps);
          seeded = true;
          if (uploaded > 0) log.info({ uploaded }, "storage seeded files from config.toml");
        }
        const removed = await deps.looseBlobs.sweep();
        if (removed > 0) log.info({ removed }, "storage sweep removed orphaned bytes");
        const purged = await purgeTrash(deps, {}, SWEEP_ACTOR);
        if (purged.length > 0)
          log.info({ purged: purged.length }, "storage sweep purged soft-deleted objects");
        const { path, expireAfterSeconds } = deps.config.storage.server.resumable;
        const expired = await sweepExpiredUploads(path, expireAfterSeconds);
        if (expired > 0) log.info({ expired }, "storage sweep removed expired resumable uploads");
      } catch (error) {
        log.warn({ err: error }, "storage seeding or sweep failed");
      }
    };
    let running: Promise<void> = Promise.resolve();
    const first = setTimeout(() => {
      running = run();
    }, SWEEP_DELAY_MS);
    const every = setInterval(() => {
      running = running.then(run);
    }, SWEEP_INTERVAL_MS);
    first.unref();
    every.unref();
    return {
      async stop() {
        clearTimeout(first);
        clearInterval(every);
        await running;
        await deps.looseBlobs.close();
        await deps.backend.close?.();
      },
    };
  },
};

/** The storage service's own dependencies, logging through the server's logger. */
function storageDeps({ config, db, log }: ServiceDeps): StorageDeps {
  return createStorageDeps(config, db, (message, error) => log.warn({ err: error }, message));
}

function streamsBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { streamBody?: boolean } | undefined)?.streamBody === true;
}

function readJson(payload: NodeJS.ReadableStream, done: (error: Error | null, body?: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  payload.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > JSON_BODY_LIMIT && !failed) {
      failed = true;
      done(errors.entityTooLarge());
    }
    if (!failed) chunks.push(chunk);
  });
  payload.on("error", (error: Error) => {
    if (!failed) {
      failed = true;
      done(errors.invalidRequest(error.message));
    }
  });
  payload.on("end", () => {
    if (failed) return;
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (text === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(errors.invalidRequest("Body is not valid JSON"));
    }
  });
}
