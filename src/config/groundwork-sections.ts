import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";
import type { AuditConfig, GuardAllowlist, GuardConfig, JsonSchemaMapping, LintConfig } from "./types.js";

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

/** `groundwork.toml` `[guard]`; the defaults protect nothing and map no schemas. */
export function readGuard(guard: TableReader): GuardConfig {
  const protectedPaths = nonEmptyGlobs(guard, "protected_paths");
  const ignore = nonEmptyGlobs(guard, "ignore");
  const schemas = guard.section("json_schemas");
  const jsonSchemas: JsonSchemaMapping[] = schemas.sectionNames().map((name) => {
    const entry = schemas.section(name);
    const files = entry.optionalString("files");
    const schema = entry.optionalString("schema");
    if (!files || !schema) {
      throw new ConfigError(
        guard.file,
        `guard.json_schemas.${name}`,
        'a table { files = "glob", schema = "path/to/schema.json" }',
        `${files ? "" : "no files"}${!files && !schema ? " and " : ""}${schema ? "" : "no schema"}`,
      );
    }
    return { name, files, schema };
  });
  return {
    protectedPaths,
    baseRef: guard.optionalString("base_ref"),
    jsonSchemas,
    ignore,
    allowlist: readAllowlist(guard.section("allowlist")),
  };
}

function readAllowlist(allowlist: TableReader): GuardAllowlist {
  const regexes = allowlist.stringList("regexes", []);
  regexes.forEach((pattern, index) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new ConfigError(
        allowlist.file,
        `guard.allowlist.regexes[${index}]`,
        "a regular expression",
        (error as Error).message,
      );
    }
  });
  return { paths: nonEmptyGlobs(allowlist, "paths", "guard.allowlist"), regexes };
}

function nonEmptyGlobs(section: TableReader, key: string, prefix = "guard"): readonly string[] {
  const globs = section.stringList(key, []);
  globs.forEach((entry, index) => {
    if (entry.trim() === "") {
      throw new ConfigError(section.file, `${prefix}.${key}[${index}]`, "a path glob", "an empty string");
    }
  });
  return globs;
}
