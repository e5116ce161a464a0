/**
 * The claim loop's sleep: `sleep(ms)` waits up to `ms`, `wake()` ends it early, and a wake that
 * comes while the loop is busy is kept, so the next sleep returns at once (a notification that
 * arrives during a claim is never lost).
 */
export class WakeUp {
  #wake: (() => void) | null = null;
  #pending = false;

  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
    });
  }

  /** Forgets a sleep that ended otherwise (the loop raced it against other work). */
  cancel(): void {
    this.#wake = null;
  }

  wake(): void {
    const wake = this.#wake;
    this.#wake = null;
    if (wake) wake();
    else this.#pending = true;
  }

  /** Wakes after `ms` (a request put back comes due then), unless that is past `limitMs`. */
  wakeAfter(ms: number, limitMs: number): void {
    if (ms < limitMs) setTimeout(() => this.wake(), ms + 5).unref();
  }
}
