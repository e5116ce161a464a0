import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isProcessAlive } from "../db/process-alive.js";

/** What a running `groundwork start` writes so `status` and `stop` can find it. */
export interface StackState {
  readonly pid: number;
  readonly startedAt: string;
  readonly apiUrl: string;
  readonly dbUrl: string;
  /** True when the database is the embedded cluster (its URL holds only the local default password). */
  readonly embedded: boolean;
  readonly studioUrl: string | null;
  /** The local mail catcher (Mailpit's API and a web page), when it runs. */
  readonly mailUrl?: string | null;
  /** Messages of the start (recovered crash, pending migrations...), for `start --detach` to show. */
  readonly notices: readonly string[];
}

export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, "state.json");
}

/**
 * Writes the state file, creating its folder: with a configured DATABASE_URL nothing else (no
 * embedded cluster) has created `.groundwork/` before a foreground start writes here.
 */
export function writeState(stateDir: string, state: StackState): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(stateFilePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function removeState(stateDir: string, pid = process.pid): void {
  const current = readState(stateDir);
  if (current && current.pid !== pid) return;
  rmSync(stateFilePath(stateDir), { force: true });
}

/** The state of the running stack, or null when none runs (a stale file from a crash is removed). */
export function readRunningState(stateDir: string): StackState | null {
  const state = readState(stateDir);
  if (!state) return null;
  if (!isProcessAlive(state.pid)) {
    rmSync(stateFilePath(stateDir), { force: true });
    return null;
  }
  return state;
}

function readState(stateDir: string): StackState | null {
  const file = stateFilePath(stateDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StackState;
  } catch {
    return null;
  }
}
