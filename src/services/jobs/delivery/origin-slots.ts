/**
 * Send slots per origin (scheme, host and port): at most `perOrigin` sends to one origin at once,
 * and at most as many more waiting for a slot. A destination that hangs (up to its timeout) so
 * holds at most twice its slots of the worker's in-flight places, and the others go on.
 */
export class OriginSlots {
  readonly #perOrigin: number;
  readonly #origins = new Map<string, { sending: number; waiting: (() => void)[] }>();

  constructor(perOrigin: number) {
    this.#perOrigin = perOrigin;
  }

  /** Takes a slot, waiting for one if need be; false when too many wait already (try later). */
  async acquire(origin: string): Promise<boolean> {
    let state = this.#origins.get(origin);
    if (!state) {
      state = { sending: 0, waiting: [] };
      this.#origins.set(origin, state);
    }
    if (state.sending < this.#perOrigin) {
      state.sending++;
      return true;
    }
    if (state.waiting.length >= this.#perOrigin) return false;
    const slots = state;
    await new Promise<void>((resolve) => slots.waiting.push(resolve));
    return true;
  }

  /** Hands the slot to the next waiting send, or frees it. */
  release(origin: string): void {
    const state = this.#origins.get(origin);
    if (!state) return;
    const next = state.waiting.shift();
    if (next) next();
    else if (--state.sending === 0) this.#origins.delete(origin);
  }
}

/** The origin of a URL (the URL itself when it does not parse, so it still gets slots of its own). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
