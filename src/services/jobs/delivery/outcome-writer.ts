import type pg from "pg";
import { type FinishedRequest, finishRequests } from "../sql/requests.js";

/**
 * Writes outcomes in batches: what finishes while a batch is being written goes into the next
 * one, so a busy worker writes one statement per round trip instead of one per request.
 */
export class OutcomeWriter {
  readonly #pool: pg.Pool;
  readonly #workerId: string;
  readonly #pending: {
    items: readonly FinishedRequest[];
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  #writing: Promise<void> | null = null;

  constructor(pool: pg.Pool, workerId: string) {
    this.#pool = pool;
    this.#workerId = workerId;
  }

  /** Resolves once `items` are written (or rejects with the batch's error). */
  write(items: readonly FinishedRequest[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ items, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, 500);
      try {
        await finishRequests(
          this.#pool,
          this.#workerId,
          batch.flatMap((entry) => entry.items),
        );
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#writing = null;
  }
}
