import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "groundwork";

/**
 * The package's root folder (where its package.json is), found upward from this module. Files
 * the package ships beside its code (the platform SQL, the functions runtime) are found from here:
 * the build bundles the modules into other folders, so a path relative to a module would move.
 */
const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `packageFile("src", "platform", "sql")`. */
export function packageFile(...segments: string[]): string {
  return path.join(PACKAGE_ROOT, ...segments);
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string };
      if (manifest.name === PACKAGE_NAME) return dir;
    } catch {
      // no package.json here (or not JSON): keep looking upward
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}'s package.json not found above ${from}`);
  }
}
