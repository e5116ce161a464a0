import type { Service } from "./service.js";

/** The route table: every service and the prefix it is mounted under. */
export const SERVICES: readonly Service[] = [];
