import { matchesAny } from "./glob.js";
import type { GuardCheck } from "./types.js";

/** Seed 000's reference-file protection: listed paths may not change on a branch. */
export const protectedPathsCheck: GuardCheck = {
  id: "protected-path",
  what: "Files matching `[guard] protected_paths` are unchanged against the base ref (commits, staged, unstaged and untracked changes).",
  why: "Reference files, generated contracts and vendored code are edited only on purpose, by a reviewed change to the base branch.",
  fix: "Revert the change (git checkout BASE -- FILE), or change the file on the base branch in its own reviewed commit.",
  run(context) {
    if (context.config.protectedPaths.length === 0) return [];
    return context.changed
      .filter((file) => matchesAny(file, context.config.protectedPaths))
      .map((file) => ({
        rule: "protected-path",
        level: "ERROR" as const,
        file,
        line: null,
        message: `${file} is protected and changed since ${context.baseRef ?? "the first commit"}.`,
        fix: `git checkout ${context.baseRef ?? "HEAD"} -- ${file}`,
      }));
  },
};
