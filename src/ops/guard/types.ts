/**
 * Glossary:
 * - check: one family of guard findings (protected paths, JSON, secrets, migrations), as data.
 * - rule: one migration lint rule inside the migrations check, also as data.
 * - finding: one problem at a file and line, with what to do about it.
 * - base ref: the git ref the working tree is compared with (e.g. `origin/main`).
 */
import type { GuardConfig } from "../../config/types.js";

export type FindingLevel = "ERROR" | "WARN";

export interface Finding {
  /** The check or rule id, e.g. `protected-path` or `require-concurrent-index-creation`. */
  readonly rule: string;
  readonly level: FindingLevel;
  /** Path relative to the repository root. */
  readonly file: string;
  /** 1-based line, or null when the finding is about the whole file. */
  readonly line: number | null;
  readonly message: string;
  readonly fix: string;
}

/** What every check gets: the repository, its tracked files and the resolved base ref. */
export interface GuardContext {
  readonly root: string;
  readonly config: GuardConfig;
  /** The ref compared with, or null when the repository has no earlier commit to compare with. */
  readonly baseRef: string | null;
  /** The migrations folder relative to the root, in `/` form (`supabase/migrations`). */
  readonly migrationsDir: string;
  /** Tracked files plus untracked ones not ignored by git, minus `[guard] ignore`. */
  readonly files: readonly string[];
  /** Files changed since the base ref (committed, staged, unstaged or untracked). */
  readonly changed: readonly string[];
  /** Reads a file at the base ref, or null when it does not exist there. */
  readonly readAtBase: (file: string) => string | null;
  /** Lists a folder's files at the base ref. */
  readonly listAtBase: (dir: string) => readonly string[];
}

/** One guard check, as data: the docs and `--help` are generated from these fields. */
export interface GuardCheck {
  readonly id: string;
  readonly what: string;
  readonly why: string;
  readonly fix: string;
  readonly run: (context: GuardContext) => Finding[] | Promise<Finding[]>;
}
