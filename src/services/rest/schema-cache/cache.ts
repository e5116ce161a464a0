import type pg from "pg";
import { Listener, type Subscription } from "../../../db/listener.js";
import { buildSchemaCache } from "./build.js";
import { readCatalog } from "./introspect.js";
import type { SchemaCache } from "./types.js";
import { loadViewParser } from "./view-columns.js";

export interface SchemaCacheOptions {
  /** The platform pool: introspection (and the options of a LISTEN connection of its own). */
  readonly admin: pg.Pool;
  /** The process's shared LISTEN connection; without one, the holder opens its own. */
  readonly listener?: Listener;
  readonly schemas: readonly string[];
  /** Called after every successful (re)load, e.g. to drop cached plans. */
  readonly onReload?: (cache: SchemaCache) => void;
  readonly log?: (message: string) => void;
}

/** PostgREST debounces reload notifications; a burst of DDL reloads once. */
const RELOAD_DEBOUNCE_MS = 100;
/** After a failed load. */
const RECONNECT_MS = 1000;

/**
 * Holds the current schema cache and keeps it fresh: loads it at start, and again on
 * `NOTIFY pgrst` (any payload: 'reload schema', 'reload config' or none), which the platform's
 * event trigger sends after every DDL statement, including migrations. The LISTEN connection is
 * re-opened if it drops (e.g. `db reset` drops the database), and the cache is reloaded then.
 */
export class SchemaCacheHolder {
  #current: SchemaCache | null = null;
  #generation = 0;
  readonly #ownListener: Listener | null;
  readonly #listener: Listener;
  #subscription: Subscription | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #loading: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(private readonly options: SchemaCacheOptions) {
    this.#ownListener = options.listener ? null : new Listener({ pool: options.admin, log: options.log });
    this.#listener = options.listener ?? (this.#ownListener as Listener);
  }

  /** The cache, or null until the first load has succeeded (requests then get PGRST002). */
  get current(): SchemaCache | null {
    return this.#current;
  }

  /** First load and LISTEN. A failed first load is retried in the background. */
  async start(): Promise<void> {
    await loadViewParser();
    this.#subscription = this.#listener.subscribe("pgrst", () => this.#schedule(), {
      // Back after a drop (e.g. `db reset` dropped the database): what changed meanwhile was not heard.
      onGap: () => this.#schedule(),
    });
    // LISTEN before the first load, so that no change between the two goes unheard.
    await this.#listener.start();
    try {
      await this.reload();
    } catch (error) {
      this.options.log?.(`schema cache load failed: ${(error as Error).message}`);
      this.#schedule(RECONNECT_MS);
    }
  }

  /**
   * Loads the catalogs now. A call while a load is under way gets one more load after it (shared
   * by every such call): the load under way may have read the catalogs before the change that
   * asked for this one committed.
   */
  reload(): Promise<void> {
    if (this.#loading !== null) {
      this.#next ??= this.#loading
        .catch(() => {})
        .then(() => {
          this.#next = null;
          return this.reload();
        });
      return this.#next;
    }
    this.#loading = this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const client = await this.options.admin.connect();
    try {
      const rows = await readCatalog(client, this.options.schemas);
      this.#generation += 1;
      this.#current = buildSchemaCache(rows, this.#generation);
    } finally {
      client.release();
    }
    this.options.onReload?.(this.#current);
  }

  #schedule(delay = RELOAD_DEBOUNCE_MS): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.reload().catch((error: Error) => {
        this.options.log?.(`schema cache reload failed: ${error.message}`);
        this.#schedule(RECONNECT_MS);
      });
    }, delay);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#subscription?.unsubscribe();
    await this.#ownListener?.close();
    await this.#loading?.catch(() => {});
    await this.#next?.catch(() => {});
  }
}
