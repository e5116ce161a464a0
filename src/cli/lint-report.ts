import type { LintReport } from "../ops/advisor/run.js";
import { atLeast, type Finding, LEVELS, type Level } from "../ops/advisor/types.js";

/** How a report is judged: which findings are shown, which fail the run. */
export interface ReportPolicy {
  /** The least severe level shown. */
  readonly level: Level;
  /** The least severe level that fails the run; null never fails on findings. */
  readonly failOn: Level | null;
}

/** Whether the run passes: no lint failed to run and no finding is at or above `failOn`. */
export function reportPasses(report: LintReport, policy: ReportPolicy): boolean {
  const failOn = policy.failOn;
  if (report.failures.length > 0) return false;
  return failOn === null || !report.findings.some((finding) => atLeast(finding.level, failOn));
}

/** Counts of findings per level (exclusions left out). */
export function countByLevel(findings: readonly Finding[]): Record<Level, number> {
  const counts: Record<Level, number> = { ERROR: 0, WARN: 0, INFO: 0 };
  for (const finding of findings) counts[finding.level] += 1;
  return counts;
}

/** The `--json` document. */
export function reportJson(report: LintReport, policy: ReportPolicy): object {
  return {
    passed: reportPasses(report, policy),
    level: policy.level,
    failOn: policy.failOn ?? "none",
    summary: { ...countByLevel(report.findings), excluded: report.excluded.length, lints: report.lintsRun },
    findings: report.findings.filter((finding) => atLeast(finding.level, policy.level)),
    excluded: report.excluded.map((finding) => finding.id),
    failures: report.failures,
  };
}

/**
 * The report for a terminal: grouped by level (most severe first), then by lint, whose why and
 * fix are printed once above its findings.
 */
export function reportLines(report: LintReport, policy: ReportPolicy): string[] {
  const lines: string[] = [];
  const counts = countByLevel(report.findings);
  for (const level of [...LEVELS].reverse()) {
    const findings = report.findings.filter((finding) => finding.level === level);
    if (findings.length === 0) continue;
    if (!atLeast(level, policy.level)) {
      lines.push(`${level}: ${findings.length} finding(s) not shown (--level ${policy.level})`, "");
      continue;
    }
    lines.push(`${level} (${findings.length})`, "");
    for (const group of groupByLint(findings)) {
      const first = group[0] as Finding;
      lines.push(`  ${first.lint} [${first.code}] ${first.title}`);
      lines.push(`    why: ${first.why}`);
      lines.push(`    fix: ${first.fix}`);
      if (first.remediation) lines.push(`    see: ${first.remediation}`);
      for (const finding of group) {
        lines.push(`    - ${finding.object}: ${finding.detail}`);
        lines.push(`      id: ${finding.id}`);
      }
      lines.push("");
    }
  }
  for (const failure of report.failures) lines.push(`Could not run lint ${failure.lint}: ${failure.message}`);
  if (report.failures.length > 0) lines.push("");
  lines.push(summaryLine(report, policy, counts));
  return lines;
}

function summaryLine(report: LintReport, policy: ReportPolicy, counts: Record<Level, number>): string {
  const parts = [`${counts.ERROR} error(s)`, `${counts.WARN} warning(s)`, `${counts.INFO} info`];
  const excluded = report.excluded.length > 0 ? `, ${report.excluded.length} excluded` : "";
  const head = `${report.lintsRun} lints: ${parts.join(", ")}${excluded}.`;
  if (report.failures.length > 0) return `${head} Failed: ${report.failures.length} lint(s) could not run.`;
  if (reportPasses(report, policy)) return `${head} Passed (--fail-on ${policy.failOn ?? "none"}).`;
  const failing = report.findings.filter((f) => policy.failOn !== null && atLeast(f.level, policy.failOn));
  return `${head} Failed: ${failing.length} finding(s) at ${policy.failOn} or above (--fail-on ${policy.failOn}).`;
}

function groupByLint(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.lint) ?? [];
    group.push(finding);
    groups.set(finding.lint, group);
  }
  return [...groups.values()];
}
