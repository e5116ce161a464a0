import { appendFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { maskSecrets } from "../db/database-url.js";

/** One line of `.groundwork/operations.jsonl`. */
export interface OperationEntry {
  /** The command, e.g. `db backup`. */
  readonly what: string;
  /** A target name, or the masked database URL. */
  readonly target: string;
  readonly outcome: "ok" | "failed";
  readonly backupFile?: string;
  readonly detail?: string;
}

/**
 * Appends an operation to the project's operations log (JSON lines, created on first use), with
 * who ran it and when. Secrets in URLs are masked. Logging never fails the operation it records.
 */
export function logOperation(stateDir: string, entry: OperationEntry): void {
  const line = {
    ...entry,
    target: maskSecrets(entry.target),
    detail: entry.detail === undefined ? undefined : maskSecrets(entry.detail),
    who: safeUser(),
    when: new Date().toISOString(),
  };
  try {
    mkdirSync(stateDir, { recursive: true });
    appendFileSync(path.join(stateDir, "operations.jsonl"), `${JSON.stringify(line)}\n`);
  } catch {
    // A read-only project folder must not turn a successful backup into a failure.
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}
