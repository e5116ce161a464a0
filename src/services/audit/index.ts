import { startAuditRetention } from "../../platform/audit-retention.js";
import type { Service } from "../service.js";

/**
 * The audit log's retention: deletes entries past `[audit] retention_days` hourly (nothing when it
 * is unset). No routes; background work only.
 */
export const auditService: Service = {
  name: "audit",
  start({ config, db, log }) {
    return startAuditRetention(db.admin, config.audit.retentionDays, {
      onRun: (run) => {
        if ("error" in run) log.warn({ err: run.error }, "audit retention failed");
        else if ("deleted" in run && run.deleted > 0) log.info({ deleted: run.deleted }, "audit retention");
      },
    });
  },
};
