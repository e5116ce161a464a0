import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";
import type { AuditConfig, LintConfig } from "./types.js";

/** `groundwork.toml` `[audit]`. */
export function readAudit(audit: TableReader): AuditConfig {
  return {
    retentionDays: audit.has("retention_days") ? audit.integer("retention_days", 0, { min: 1 }) : null,
  };
}

/** `groundwork.toml` `[lint]`. */
export function readLint(lint: TableReader): LintConfig {
  const exclude = lint.stringList("exclude", []);
  exclude.forEach((entry, index) => {
    if (entry.trim() === "") {
      throw new ConfigError(
        lint.file,
        `lint.exclude[${index}]`,
        "a lint name or finding id (wildcards: *)",
        "an empty string",
      );
    }
  });
  return { exclude };
}
