export { openStorageAdmin, type StorageAdmin } from "./admin.js";
export type { QuarantineEntry } from "./quarantine.js";
export { storageService } from "./service.js";
export type { TrashEntry } from "./trash.js";
