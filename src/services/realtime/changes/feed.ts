import { randomBytes } from "node:crypto";
import type pg from "pg";
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from "pg-logical-replication";

/** One row change of a committed transaction, values as PostgreSQL's text output (null for SQL NULL). */
export interface RowChange {
  readonly type: "INSERT" | "UPDATE" | "DELETE";
  readonly relation: Pgoutput.MessageRelation;
  readonly record: Readonly<Record<string, string | null>> | null;
  readonly oldRecord: Readonly<Record<string, string | null>> | null;
}

/** A committed transaction's changes, in order. */
export interface CommittedTransaction {
  readonly commitTime: Date;
  readonly changes: readonly RowChange[];
}

export interface ChangeFeedOptions {
  /** The platform pool: its connection settings open the replication connection. */
  readonly admin: pg.Pool;
  /** Called once per committed transaction, in commit order; the next waits for its promise. */
  readonly onTransaction: (transaction: CommittedTransaction) => Promise<void>;
  readonly log: (level: "info" | "warn", message: string) => void;
}

/** Publications read: user tables (Supabase's) and broadcasts from the database (realtime.messages). */
export const PUBLICATIONS = ["supabase_realtime", "supabase_realtime_messages_publication"];
const RETRY_MS = 2_000;

/**
 * pgoutput through a TEMPORARY logical replication slot, created on the replication connection
 * itself: the slot disappears with the connection, so a stopped or crashed server never leaves a
 * slot retaining WAL (the embedded cluster also caps any slot with max_slot_wal_keep_size).
 * Values are kept as PostgreSQL's text output (not pg's JS conversions), so they render exactly.
 */
class TemporarySlotPgoutput extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === "relation") {
      for (const column of message.columns) column.parser = (raw: unknown) => raw;
    }
    return message;
  }

  override async start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    await client.query(`CREATE_REPLICATION_SLOT ${slotName} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`);
    return super.start(client, slotName, lastLsn);
  }
}

/**
 * The process's change feed: one replication stream per API process (each decodes the
 * publications' changes for its own subscribers), started lazily and re-opened after the
 * database drops it. `ready` settles once the stream runs, or with the reason it cannot.
 */
export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  #service: LogicalReplicationService | null = null;
  #ready: Promise<void> | null = null;
  #closed = false;
  #pending: Pgoutput.Message[] = [];
  #commitTime = new Date();
  #queue: Promise<void> = Promise.resolve();
  /** Why the feed cannot run (no replication privilege, wal_level), once known. */
  unavailable: string | null = null;
  /** Milliseconds between the last transaction's commit and its dispatch. */
  lagMs = 0;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
  }

  /** Starts the stream once; resolves when it runs, rejects with a clear reason when it cannot. */
  ready(): Promise<void> {
    this.#ready ??= this.#open();
    return this.#ready;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#service?.destroy().catch(() => {});
    this.#service = null;
  }

  async #open(): Promise<void> {
    const problem = await replicationProblem(this.#options.admin);
    if (problem) {
      this.unavailable = problem;
      this.#options.log("warn", problem);
      throw new Error(problem);
    }
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const service = new LogicalReplicationService(
      { ...this.#options.admin.options, application_name: "groundwork realtime" } as pg.ClientConfig,
      { acknowledge: { auto: true, timeoutSeconds: 10 } },
    );
    this.#service = service;
    const plugin = new TemporarySlotPgoutput({ protoVersion: 1, publicationNames: PUBLICATIONS });
    service.on("data", (_lsn: string, message: Pgoutput.Message) => this.#onMessage(message));
    const started = new Promise<void>((resolve, reject) => {
      service.once("start", () => resolve());
      service.once("error", reject);
    });
    service.on("error", () => this.#reconnect(service));
    const slot = `groundwork_realtime_${process.pid}_${randomBytes(4).toString("hex")}`;
    service.subscribe(plugin, slot).then(
      () => this.#reconnect(service),
      () => this.#reconnect(service),
    );
    await started;
  }

  /** The stream ended (database restart, `db reset`): open a new slot after a pause. */
  #reconnect(service: LogicalReplicationService): void {
    if (this.#service !== service) return;
    this.#service = null;
    service.destroy().catch(() => {});
    if (this.#closed) return;
    this.#options.log("warn", "realtime change feed lost its replication connection; reconnecting");
    setTimeout(() => {
      if (this.#closed) return;
      this.#connect().catch(() => this.#reconnectLater());
    }, RETRY_MS).unref();
  }

  #reconnectLater(): void {
    if (this.#closed) return;
    setTimeout(() => {
      if (!this.#closed && this.#service === null) this.#connect().catch(() => this.#reconnectLater());
    }, RETRY_MS).unref();
  }

  #onMessage(message: Pgoutput.Message): void {
    switch (message.tag) {
      case "begin":
        this.#pending = [];
        this.#commitTime = new Date(Number((message.commitTime as bigint) / 1000n));
        return;
      case "insert":
      case "update":
      case "delete":
        this.#pending.push(message);
        return;
      case "commit": {
        const transaction: CommittedTransaction = {
          commitTime: this.#commitTime,
          changes: this.#pending.map(toRowChange),
        };
        this.#pending = [];
        if (transaction.changes.length === 0) return;
        this.#queue = this.#queue
          .then(() => {
            this.lagMs = Date.now() - transaction.commitTime.getTime();
            return this.#options.onTransaction(transaction);
          })
          .catch((error: Error) => this.#options.log("warn", `realtime change dispatch: ${error.message}`));
        return;
      }
      default:
        return;
    }
  }
}

function toRowChange(message: Pgoutput.Message): RowChange {
  const text = (tuple: Record<string, unknown> | null) => tuple as Record<string, string | null> | null;
  switch (message.tag) {
    case "insert":
      return { type: "INSERT", relation: message.relation, record: text(message.new), oldRecord: null };
    case "update":
      return {
        type: "UPDATE",
        relation: message.relation,
        record: text(message.new),
        oldRecord: text(message.old ?? message.key),
      };
    case "delete":
      return {
        type: "DELETE",
        relation: message.relation,
        record: null,
        oldRecord: text(message.old ?? message.key),
      };
    default:
      throw new Error(`not a row change: ${message.tag}`);
  }
}

/**
 * Why this database cannot stream changes to us, in words a user can act on; null when it can.
 * Logical replication needs `wal_level = logical` and a role with REPLICATION (or a superuser).
 */
export async function replicationProblem(admin: pg.Pool): Promise<string | null> {
  const { rows } = await admin.query<{ role: string; can: boolean; wal_level: string }>(
    `select current_user as role, (rolsuper or rolreplication) as can, current_setting('wal_level') as wal_level
       from pg_roles where rolname = current_user`,
  );
  const row = rows[0];
  if (!row) return "Realtime could not read its database role";
  const problems: string[] = [];
  if (!row.can) {
    problems.push(
      `the database role "${row.role}" lacks the REPLICATION attribute (run: alter role "${row.role}" with replication)`,
    );
  }
  if (row.wal_level !== "logical") {
    problems.push(`wal_level is '${row.wal_level}' (set wal_level = logical and restart PostgreSQL)`);
  }
  if (problems.length === 0) return null;
  return `Realtime postgres_changes and broadcasts from the database are off: ${problems.join("; ")}. Broadcast and presence between clients still work.`;
}
