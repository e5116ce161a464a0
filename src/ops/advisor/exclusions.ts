import type { Finding } from "./types.js";

/**
 * True when one of `patterns` names the finding: its lint (`rls_enabled_no_policy`, all findings
 * of that lint) or its id (`rls_enabled_no_policy_public_jobs`), each with `*` matching any run of
 * characters.
 */
export function matchesExclusion(
  finding: Pick<Finding, "lint" | "id">,
  patterns: readonly string[],
): boolean {
  return patterns.some((pattern) => {
    const regex = wildcard(pattern);
    return regex.test(finding.lint) || regex.test(finding.id);
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`);
}
