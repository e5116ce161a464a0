import type { StorageBackendConfig } from "../../../config/storage-section.js";
import type { StorageBackend } from "./backend.js";
import { localBackend } from "./local.js";

/** The configured backend (`groundwork.toml` `[storage] backend`). */
export function createBackend(config: StorageBackendConfig): StorageBackend {
  if (config.kind === "local") return localBackend(config.path);
  throw new Error("the s3 storage backend is not available in this build");
}
