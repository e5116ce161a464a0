import { readFileSync } from "node:fs";

/**
 * True while a process runs. A process that has exited but is not yet reaped by its parent (a
 * zombie) still answers `kill(pid, 0)`, so on Linux its state in /proc is checked as well.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}
