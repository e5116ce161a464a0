import { readFileSync, statSync } from "node:fs";
import path from "node:path";

/** Files larger than this are skipped by the content checks (lock files and data dumps). */
export const MAX_SCANNED_BYTES = 1024 * 1024;

/** A tracked file's text, or null when it is missing, large or binary (a NUL byte in its first 8 KiB). */
export function readTextFile(root: string, file: string): string | null {
  const full = path.join(root, file);
  try {
    const stat = statSync(full);
    if (!stat.isFile() || stat.size > MAX_SCANNED_BYTES) return null;
    const bytes = readFileSync(full);
    if (bytes.subarray(0, 8192).includes(0)) return null;
    return bytes.toString("utf8");
  } catch {
    return null;
  }
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
