import path from "node:path";
import type { GuardConfig } from "../../config/types.js";
import { changedFiles, listAtRef, listFiles, readAtRef, repositoryRoot, resolveBaseRef } from "./git.js";
import { matchesAny } from "./glob.js";
import { jsonFilesCheck } from "./json-files.js";
import { migrationsCheck } from "./migrations.js";
import { protectedPathsCheck } from "./protected-paths.js";
import { secretsCheck } from "./secrets.js";
import type { Finding, GuardCheck } from "./types.js";

/** Every check, in the order they run and are reported. */
export const GUARD_CHECKS: readonly GuardCheck[] = [
  protectedPathsCheck,
  jsonFilesCheck,
  secretsCheck,
  migrationsCheck,
];

export const DEFAULT_GUARD_CONFIG: GuardConfig = Object.freeze({
  protectedPaths: [],
  baseRef: null,
  jsonSchemas: [],
  ignore: [],
  allowlist: Object.freeze({ paths: [], regexes: [] }),
});

export interface GuardOptions {
  /** The project folder (holding `supabase/`); the repository root is found from it. */
  readonly projectDir: string;
  readonly config: GuardConfig;
  /** `--base REF`; overrides `[guard] base_ref`. */
  readonly base?: string | null;
}

export interface GuardReport {
  readonly root: string;
  /** The ref compared with, or null when there was none (a repository with one commit). */
  readonly baseRef: string | null;
  readonly checks: readonly string[];
  readonly filesScanned: number;
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

/** Runs every guard check against the repository holding the project and returns the findings. */
export async function runGuard(options: GuardOptions): Promise<GuardReport> {
  const root = repositoryRoot(options.projectDir);
  const baseRef = resolveBaseRef(root, options.base ?? options.config.baseRef);
  const ignore = options.config.ignore;
  const files = listFiles(root).filter((file) => !matchesAny(file, ignore));
  const changed = changedFiles(root, baseRef).filter((file) => !matchesAny(file, ignore));
  const migrationsDir = path
    .relative(root, path.join(options.projectDir, "supabase", "migrations"))
    .split(path.sep)
    .join("/");
  const context = {
    root,
    config: options.config,
    baseRef,
    migrationsDir,
    files,
    changed,
    readAtBase: (file: string) => (baseRef ? readAtRef(root, baseRef, file) : null),
    listAtBase: (dir: string) => (baseRef ? listAtRef(root, baseRef, dir) : []),
  };
  const findings: Finding[] = [];
  for (const check of GUARD_CHECKS) findings.push(...(await check.run(context)));
  return {
    root,
    baseRef,
    checks: GUARD_CHECKS.map((check) => check.id),
    filesScanned: files.length,
    findings,
    errors: findings.filter((finding) => finding.level === "ERROR").length,
    warnings: findings.filter((finding) => finding.level === "WARN").length,
  };
}
