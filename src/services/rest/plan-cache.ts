/**
 * A small LRU of compiled requests: the same request (path, query string, relevant headers)
 * skips parsing, schema-cache resolution and SQL generation. Cleared on every schema reload.
 */
export class PlanCache {
  readonly #entries = new Map<string, unknown>();

  constructor(private readonly capacity = 1000) {}

  /** The cached value for `key`, or `build()` stored under it. */
  get<T>(key: string, build: () => T): T {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit as T;
    }
    const value = build();
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
