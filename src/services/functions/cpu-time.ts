import { readFile } from "node:fs/promises";

/** How often a busy worker's CPU time is read. */
const SAMPLE_MS = 100;

/** Linux reports process times in clock ticks of 1/100 s (`getconf CLK_TCK`, fixed on Linux). */
const MS_PER_TICK = 10;

/**
 * Per-request CPU time of one worker process, as Supabase limits it (2 s of CPU per request by
 * default, I/O waits not counted). Deno gives no per-request CPU figure, so the process's own
 * CPU time (`/proc/<pid>/stat`, user + system) is read every 100 ms while requests are in flight,
 * and each reading's growth is shared equally among them: a request is never charged for more
 * than the worker spent, and one spinning alone is charged all of it. Linux only; elsewhere the
 * wall-clock limit alone applies.
 */
export class CpuBudget {
  private readonly charged = new Map<object, { used: number; onExceeded: () => void }>();
  private timer: NodeJS.Timeout | null = null;
  private last: number | null = null;
  private reading = false;

  constructor(
    private readonly pid: number | undefined,
    private readonly limitMs: number,
  ) {}

  /** Charges the worker's CPU time to a request until the returned function is called. */
  track(onExceeded: () => void): () => void {
    const key = {};
    if (this.pid === undefined || process.platform !== "linux") return () => {};
    this.charged.set(key, { used: 0, onExceeded });
    this.timer ??= setInterval(() => void this.sample(), SAMPLE_MS).unref();
    return () => {
      this.charged.delete(key);
      if (this.charged.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
  }

  private async sample(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    const now = await cpuTimeMs(this.pid as number);
    this.reading = false;
    if (now === null || this.charged.size === 0) return;
    const previous = this.last;
    this.last = now;
    if (previous === null) return;
    const share = (now - previous) / this.charged.size;
    for (const [key, request] of this.charged) {
      request.used += share;
      if (request.used > this.limitMs) {
        this.charged.delete(key);
        request.onExceeded();
      }
    }
  }
}

/** A process's CPU time so far in ms (user + system), or null once it has ended. */
async function cpuTimeMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, so cut at its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return null;
  }
}
