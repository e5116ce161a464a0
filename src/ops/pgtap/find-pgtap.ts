import { copyFileSync, existsSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * pgTAP is not on the npm registry and is not shipped here: it is taken from an installation on
 * the machine. Its SQL is version-independent enough that Debian's package for any PostgreSQL
 * major version loads into the embedded PostgreSQL 17 (the package for 15 is the one CI installs).
 */

/** A folder holding `pgtap.control` and its SQL scripts. */
export interface PgtapInstallation {
  readonly dir: string;
  /** The files `create extension pgtap` may read (control and `pgtap--*.sql`). */
  readonly files: readonly string[];
}

/** Where package managers put extension files, newest PostgreSQL first within each kind. */
function candidateDirs(env: NodeJS.ProcessEnv): string[] {
  // A configured folder is the only one looked at: it was set to choose this installation.
  if (env.GROUNDWORK_PGTAP_DIR) return [env.GROUNDWORK_PGTAP_DIR];
  const dirs: string[] = [];
  // Debian and Ubuntu (postgresql-NN-pgtap): /usr/share/postgresql/NN/extension.
  for (const dir of numbered("/usr/share/postgresql", "")) dirs.push(path.join(dir, "extension"));
  // RHEL and Fedora (pgtap_NN from the PostgreSQL repository): /usr/pgsql-NN/share/extension.
  for (const dir of numbered("/usr", "pgsql-")) dirs.push(path.join(dir, "share", "extension"));
  // Homebrew (`brew install pgtap`), Apple silicon and Intel prefixes.
  for (const prefix of ["/opt/homebrew", "/usr/local"]) {
    dirs.push(path.join(prefix, "share", "postgresql", "extension"));
    for (const dir of numbered(path.join(prefix, "share"), "postgresql@"))
      dirs.push(path.join(dir, "extension"));
  }
  return dirs;
}

/** Entries of `parent` named `<prefix><version>`, highest version first. */
function numbered(parent: string, prefix: string): string[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .filter((name) => name.startsWith(prefix) && /^\d+(\.\d+)?$/.test(name.slice(prefix.length)))
    .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)))
    .map((name) => path.join(parent, name));
}

/** The first folder with pgTAP's control file, or null. */
export function findPgtap(env: NodeJS.ProcessEnv = process.env): PgtapInstallation | null {
  for (const dir of candidateDirs(env)) {
    if (!existsSync(path.join(dir, "pgtap.control"))) continue;
    const files = readdirSync(dir).filter(
      (name) => name === "pgtap.control" || (name.startsWith("pgtap") && name.endsWith(".sql")),
    );
    return { dir, files };
  }
  return null;
}

/** Copies pgTAP's files into an extension folder (the embedded server's `share/extension`). */
export function installPgtap(installation: PgtapInstallation, extensionDir: string): void {
  for (const file of installation.files)
    copyFileSync(path.join(installation.dir, file), path.join(extensionDir, file));
}

/** What to do when pgTAP is not on the machine, for each way of getting it. */
export const PGTAP_MISSING = [
  "pgTAP is not installed on this machine; groundwork test db loads it from a system installation.",
  "Install it, then run the command again:",
  "  Debian/Ubuntu:  sudo apt-get install postgresql-15-pgtap   (any postgresql-NN-pgtap works)",
  "  macOS:          brew install pgtap",
  "  RHEL/Fedora:    sudo dnf install pgtap_15   (from the PostgreSQL yum repository)",
  "Or set GROUNDWORK_PGTAP_DIR to a folder holding pgtap.control and its pgtap--*.sql files.",
].join("\n");
