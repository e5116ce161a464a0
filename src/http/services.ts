import { auditService } from "../services/audit/index.js";
import { authService } from "../services/auth/index.js";
import { functionsService } from "../services/functions/index.js";
import { jobsService } from "../services/jobs/index.js";
import { realtimeService } from "../services/realtime/index.js";
import { restService } from "../services/rest/index.js";
import type { Service } from "../services/service.js";
import { storageService } from "../services/storage/index.js";

/** The route table and the background work: every service, and the prefix it is mounted under. */
export const SERVICES: readonly Service[] = [
  authService,
  restService,
  realtimeService,
  auditService,
  functionsService,
  storageService,
  jobsService,
];
