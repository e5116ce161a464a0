const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Shows a spinner on stderr while `fn` runs, if it runs longer than a second, and a check mark
 * with the time taken when it ends. Off a terminal, a step that takes over a second prints one line.
 */
export async function withProgress<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let frame = 0;
  let shown = false;
  const timer = setInterval(() => {
    if (Date.now() - started < 1000) return;
    if (tty) {
      process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}…`);
      shown = true;
    } else if (!shown) {
      process.stderr.write(`${label}…\n`);
      shown = true;
    }
  }, 80);
  try {
    const result = await fn();
    if (shown && tty)
      process.stderr.write(`\r✓ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    if (shown && tty) process.stderr.write(`\r✗ ${label}\n`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
