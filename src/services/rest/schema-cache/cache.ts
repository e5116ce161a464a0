import type pg from "pg";
import { NotificationListener } from "../../../db/listener.js";
import { buildSchemaCache } from "./build.js";
import { readCatalog } from "./introspect.js";
import type { SchemaCache } from "./types.js";
import { loadViewParser } from "./view-columns.js";

export interface SchemaCacheOptions {
  /** The platform pool: introspection and the LISTEN connection only. */
  readonly admin: pg.Pool;
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
  readonly #listener: NotificationListener;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #loading: Promise<void> | null = null;

  constructor(private readonly options: SchemaCacheOptions) {
    this.#listener = new NotificationListener({
      pool: options.admin,
      channel: "pgrst",
      onNotification: () => this.#schedule(),
      // Back after a drop (e.g. `db reset` dropped the database): what changed meanwhile was not heard.
      onListening: (first) => {
        if (!first) this.#schedule();
      },
      log: options.log,
    });
  }

  /** The cache, or null until the first load has succeeded (requests then get PGRST002). */
  get current(): SchemaCache | null {
    return this.#current;
  }

  /** First load and LISTEN. A failed first load is retried in the background. */
  async start(): Promise<void> {
    await loadViewParser();
    await this.#listener.start();
    try {
      await this.reload();
    } catch (error) {
      this.options.log?.(`schema cache load failed: ${(error as Error).message}`);
      this.#schedule(RECONNECT_MS);
    }
  }

  /** Loads the catalogs now; concurrent calls share one load. */
  reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
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
    await this.#listener.close();
    await this.#loading?.catch(() => {});
  }
}
