/**
 * CPU time the server side of a benchmark spends: this process (where the API runs) plus every
 * process of the PostgreSQL cluster (the postmaster and its children: the pooled backends,
 * autovacuum, the writers). Time another tenant of a shared machine takes is not in it, which
 * makes CPU per request a far steadier figure than requests per second on such a machine.
 */
import { readdirSync, readFileSync } from "node:fs";
import type pg from "pg";

const TICK_US = 1_000_000 / 100; // Linux reports process times in clock ticks of 10 ms (USER_HZ)

/** The postmaster's pid: the parent of the backend `client` talks to. */
export async function postmasterPid(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  return stat(rows[0]?.pid ?? 0)?.ppid ?? 0;
}

/** Microseconds of CPU (user + system) this process and the cluster rooted at `postmaster` used so far. */
export function serverCpuMicros(postmaster: number): number {
  const own = process.cpuUsage();
  let cluster = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const info = stat(pid);
    if (info && (pid === postmaster || info.ppid === postmaster)) cluster += info.ticks * TICK_US;
  }
  return own.user + own.system + cluster;
}

/**
 * /proc/<pid>/stat: the parent pid and the user + system ticks (fields 4, 14 and 15). A process
 * that has exited meanwhile is skipped: its time is lost, which is why backends are pooled.
 */
function stat(pid: number): { ppid: number; ticks: number } | null {
  try {
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}
