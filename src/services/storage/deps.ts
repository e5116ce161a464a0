import type { Config } from "../../config/index.js";
import type { Database } from "../../db/pool.js";
import { createBackend } from "./backend/create.js";
import { LooseBlobs } from "./loose-blobs.js";
import { UploadRateLimit } from "./rate-limit.js";
import { ClamdScanner } from "./scanner.js";
import type { StorageDeps } from "./types.js";

/**
 * The storage service's own dependencies (the backend, the loose-blob ledger, clamd, the upload
 * limits, the URL secret), for a server or an admin command.
 */
export function createStorageDeps(
  config: Config,
  db: Database,
  warn: (message: string, error?: unknown) => void,
): StorageDeps {
  const backend = createBackend(config.storage.server.backend);
  return {
    config,
    db,
    backend,
    looseBlobs: new LooseBlobs(db.admin, backend, warn),
    // Connected per scan: nothing is opened at start, and clamd may start later than the server.
    scanner: config.storage.server.clamd ? new ClamdScanner(config.storage.server.clamd) : null,
    uploadLimit: new UploadRateLimit(db.admin, config.storage.server.uploadsPerMinute),
    signingSecret: config.storage.server.signingSecret ?? config.jwt.secret,
  };
}
