import type { S3BackendConfig, StorageBackendConfig } from "../../../config/storage-section.js";
import type { StorageBackend } from "./backend.js";
import { localBackend } from "./local.js";

/** The configured backend (`groundwork.toml` `[storage] backend`). */
export function createBackend(config: StorageBackendConfig): StorageBackend {
  return config.kind === "local" ? localBackend(config.path) : lazyS3Backend(config);
}

/**
 * The S3 backend, its module (and the AWS SDK, about 200 ms of loading) imported on first use:
 * a server on the local folder never loads it, and start-up stays fast either way.
 */
function lazyS3Backend(config: S3BackendConfig): StorageBackend {
  let loaded: Promise<StorageBackend> | null = null;
  const backend = () => {
    loaded ??= import("./s3.js").then(({ s3Backend }) => s3Backend(config));
    return loaded;
  };
  return {
    kind: "s3",
    write: async (key, body) => (await backend()).write(key, body),
    read: async (key, range) => (await backend()).read(key, range),
    delete: async (key) => (await backend()).delete(key),
    copy: async (from, to) => (await backend()).copy(from, to),
    async *list(bucket) {
      yield* (await backend()).list?.(bucket) ?? [];
    },
    check: async () => (await backend()).check?.(),
    async close() {
      if (loaded !== null) await (await loaded).close?.();
    },
  };
}
