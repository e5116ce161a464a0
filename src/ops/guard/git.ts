import { execFileSync } from "node:child_process";

/** Runs git in the repository and returns stdout; throws with git's own message on failure. */
export function git(root: string, args: readonly string[]): string {
  try {
    return execFileSync("git", [...args], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`git ${args.join(" ")} failed: ${stderr || (error as Error).message}`);
  }
}

function refExists(root: string, ref: string): boolean {
  try {
    git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** The repository root holding `dir`, or a clear error when it is not in a git repository. */
export function repositoryRoot(dir: string): string {
  try {
    return git(dir, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new Error(`${dir} is not inside a git repository; groundwork guard compares git refs.`);
  }
}

/**
 * The base ref: the configured or given one (which must exist), else `origin/main`, `main`,
 * `HEAD~1` in that order; null when none exists (a repository with a single commit or none).
 * `main` is skipped while it is the checked-out branch, since comparing HEAD with itself finds nothing.
 */
export function resolveBaseRef(root: string, requested: string | null): string | null {
  if (requested) {
    if (!refExists(root, requested)) throw new Error(`The base ref ${requested} does not exist in ${root}.`);
    return requested;
  }
  const current = currentBranch(root);
  for (const candidate of ["origin/main", "main", "HEAD~1"]) {
    if (candidate === current) continue;
    if (refExists(root, candidate)) return candidate;
  }
  return null;
}

function currentBranch(root: string): string | null {
  try {
    return git(root, ["symbolic-ref", "--short", "-q", "HEAD"]).trim() || null;
  } catch {
    return null;
  }
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** Tracked files plus untracked files git does not ignore. */
export function listFiles(root: string): string[] {
  return lines(git(root, ["ls-files", "--cached", "--others", "--exclude-standard", "--deduplicate"]));
}

/** Files changed between the merge base of `base` and HEAD, plus uncommitted and untracked changes. */
export function changedFiles(root: string, base: string | null): string[] {
  const changed = new Set<string>();
  const hasHead = refExists(root, "HEAD");
  if (base) for (const file of lines(git(root, ["diff", "--name-only", `${base}...HEAD`]))) changed.add(file);
  if (hasHead) for (const file of lines(git(root, ["diff", "--name-only", "HEAD"]))) changed.add(file);
  for (const file of lines(git(root, ["diff", "--name-only", "--cached"]))) changed.add(file);
  for (const file of lines(git(root, ["ls-files", "--others", "--exclude-standard"]))) changed.add(file);
  return [...changed].sort();
}

export function readAtRef(root: string, ref: string, file: string): string | null {
  try {
    return git(root, ["show", `${ref}:${file}`]);
  } catch {
    return null;
  }
}

export function listAtRef(root: string, ref: string, dir: string): string[] {
  try {
    return lines(git(root, ["ls-tree", "--name-only", `${ref}`, `${dir.replace(/\/$/, "")}/`])).map((file) =>
      file.slice(file.lastIndexOf("/") + 1),
    );
  } catch {
    return [];
  }
}
