import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { git } from "./git.js";

/** Marks a hook as Groundwork's, so re-installing may replace it and a foreign hook is kept. */
const MARKER = "# groundwork guard pre-commit hook";

export function preCommitHook(projectRelative: string): string {
  const cd = projectRelative === "" || projectRelative === "." ? "" : ` --workdir "${projectRelative}"`;
  return `#!/bin/sh
${MARKER} (groundwork guard install-hooks). Skip once with: git commit --no-verify
if command -v groundwork >/dev/null 2>&1; then
  exec groundwork guard${cd}
fi
exec npx --no-install groundwork guard${cd}
`;
}

export type InstallResult =
  | { status: "installed" | "replaced" | "unchanged"; file: string }
  | { status: "foreign"; file: string };

/**
 * Writes `.git/hooks/pre-commit` (or the folder `core.hooksPath` names) running `groundwork
 * guard`. A hook that is not Groundwork's is left alone unless `force` is set.
 */
export function installPreCommitHook(projectDir: string, force: boolean): InstallResult {
  const root = git(projectDir, ["rev-parse", "--show-toplevel"]).trim();
  const hooksDir = path.resolve(root, git(projectDir, ["rev-parse", "--git-path", "hooks"]).trim());
  const file = path.join(hooksDir, "pre-commit");
  const content = preCommitHook(path.relative(root, projectDir).split(path.sep).join("/"));
  let status: "installed" | "replaced" | "unchanged" = "installed";
  if (existsSync(file)) {
    const current = readFileSync(file, "utf8");
    if (current === content) status = "unchanged";
    else if (!current.includes(MARKER) && !force) return { status: "foreign", file };
    else status = "replaced";
  }
  mkdirSync(hooksDir, { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, 0o755);
  return { status, file };
}
