import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import type { OperationEntry } from "../operations-log.js";

/** A line of the operations log as written by ops/operations-log.ts. */
export interface LoggedOperation extends OperationEntry {
  readonly who?: string;
  readonly when?: string;
}

/** The log is read from its end: this much is enough for far more lines than status shows. */
const TAIL_BYTES = 256 * 1024;

/**
 * The last `limit` entries of `<stateDir>/operations.jsonl`, oldest first; empty when there is no
 * log yet. Lines that are not JSON (a write cut short) are skipped.
 */
export function readRecentOperations(stateDir: string, limit = 10): LoggedOperation[] {
  const file = path.join(stateDir, "operations.jsonl");
  if (!existsSync(file)) return [];
  const fd = openSync(file, "r");
  let text: string;
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    text = buffer.toString("utf8");
    // A read that starts mid-file starts mid-line: drop the partial first line.
    if (length < size) text = text.slice(text.indexOf("\n") + 1);
  } finally {
    closeSync(fd);
  }
  const entries: LoggedOperation[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      entries.push(JSON.parse(line) as LoggedOperation);
    } catch {
      // Skipped: not a complete entry.
    }
  }
  return entries.slice(-limit);
}
