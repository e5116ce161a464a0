// Moved to src/services/service.ts (services must not import from http/); kept until callers move.
export type { Service, ServiceDeps } from "../services/service.js";
