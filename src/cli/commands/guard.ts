import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig, loadGuardConfig, SUPABASE_CONFIG_FILE } from "../../config/load.js";
import type { GuardConfig } from "../../config/types.js";
import { type GuardReport, installPreCommitHook, runGuard } from "../../ops/guard/index.js";
import { parseCommandArgs } from "../args.js";
import { note, print, printJson } from "../output.js";
import { UsageError } from "../usage-error.js";

export const guardHelp = `Checks the repository before it is committed or merged (docs/cli/guard.md): protected
paths, JSON syntax and schemas, committed secrets, migration names, order and lint rules.

Usage:
  groundwork guard [--base REF] [--json] [--workdir DIR]
  groundwork guard install-hooks [--force] [--workdir DIR]

Options:
  --base REF      the ref to compare with (default: [guard] base_ref, else origin/main, main, HEAD~1)
  --json          print the report as JSON
  --force         install-hooks: replace a pre-commit hook that is not Groundwork's
  --workdir DIR   the project folder (default: the current folder)

Exit codes: 0 no ERROR finding, 1 ERROR findings, 2 usage error.`;

/** `groundwork guard` and `groundwork guard install-hooks`. */
export async function guardCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { base: { type: "string" }, json: { type: "boolean" }, force: { type: "boolean" } },
    { max: 1 },
  );
  if (values.help) {
    print(guardHelp);
    return 0;
  }
  const projectDir = path.resolve(values.workdir ?? process.cwd());
  const [sub] = positionals;
  if (sub === "install-hooks") return installHooks(projectDir, values.force === true);
  if (sub !== undefined) throw new UsageError(`unknown subcommand "${sub}" (expected install-hooks)`);
  const report = await runGuard({
    projectDir,
    config: await guardConfig(projectDir),
    base: values.base ?? null,
  });
  if (values.json) printJson(report);
  else printReport(report);
  return report.errors > 0 ? 1 : 0;
}

/** `[guard]` from groundwork.toml, also in a repository without a Supabase project. */
async function guardConfig(projectDir: string): Promise<GuardConfig> {
  if (!existsSync(path.join(projectDir, SUPABASE_CONFIG_FILE))) return loadGuardConfig(projectDir);
  return (await loadConfig(projectDir)).guard;
}

function printReport(report: GuardReport): void {
  note(
    report.baseRef
      ? `Compared with ${report.baseRef}; scanned ${report.filesScanned} files.`
      : `No base ref found (origin/main, main, HEAD~1); every migration is linted. Scanned ${report.filesScanned} files.`,
  );
  for (const finding of report.findings) {
    const where = finding.line === null ? finding.file : `${finding.file}:${finding.line}`;
    print(`${finding.level} ${where} [${finding.rule}] ${finding.message}`);
    print(`  fix: ${finding.fix}`);
  }
  if (report.findings.length === 0) print(`guard: no findings (${report.checks.join(", ")}).`);
  else print(`guard: ${report.errors} error(s), ${report.warnings} warning(s).`);
}

function installHooks(projectDir: string, force: boolean): number {
  const result = installPreCommitHook(projectDir, force);
  if (result.status === "foreign") {
    note(`${result.file} exists and is not Groundwork's hook; it was left as it is.`);
    note("Add `groundwork guard` to it yourself, or pass --force to replace it.");
    return 1;
  }
  print(
    result.status === "unchanged"
      ? `${result.file} is already installed.`
      : `${result.status === "replaced" ? "Replaced" : "Installed"} ${result.file}: git commit now runs groundwork guard.`,
  );
  return 0;
}
