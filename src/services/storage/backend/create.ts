import type { StorageBackendConfig } from "../../../config/storage-section.js";
import type { StorageBackend } from "./backend.js";
import { localBackend } from "./local.js";
import { s3Backend } from "./s3.js";

/** The configured backend (`groundwork.toml` `[storage] backend`). */
export function createBackend(config: StorageBackendConfig): StorageBackend {
  return config.kind === "local" ? localBackend(config.path) : s3Backend(config);
}
