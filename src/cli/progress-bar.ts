const WIDTH = 30;

/**
 * A progress bar on stderr for row-by-row work: `[#####-----] 45% 450,000/1,000,000 rows public.t`.
 * Redrawn at most every 100 ms on a terminal; off a terminal it prints nothing until `done()`.
 */
export function progressBar(label: string): {
  update: (done: number, total: number, detail: string) => void;
  done: () => void;
} {
  const tty = process.stderr.isTTY;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, detail) {
      if (!tty || Date.now() - last < 100) return;
      last = Date.now();
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * WIDTH);
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${Math.round(ratio * 100)}% ` +
          `${done.toLocaleString("en")}/${total.toLocaleString("en")} rows ${detail}\x1b[K`,
      );
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write("\r\x1b[K");
    },
  };
}
