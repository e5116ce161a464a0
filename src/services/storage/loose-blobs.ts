import { randomBytes } from "node:crypto";
import pg from "pg";
import type { BlobKey, StorageBackend } from "./backend/backend.js";

/**
 * Keeps bytes and rows from disagreeing (docs/storage.md, "Consistency"). Every version whose
 * bytes may exist without an object row pointing at them is written down in
 * `storage.groundwork_loose_blobs` first: an upload's new version before its first byte, a
 * replaced or deleted version in the transaction that drops its row. The row goes once the object
 * row commits, or once the old bytes are deleted. Each row carries this server's advisory lock
 * key, held on one connection of its own for the server's life, so after a crash (the lock is
 * free) {@link sweep} knows which rows no live server is working on and deletes their bytes.
 */
export class LooseBlobs {
  readonly lockKey = randomBytes(8).readBigInt64BE().toString();
  private lockClient: Promise<pg.Client> | null = null;

  constructor(
    private readonly admin: pg.Pool,
    private readonly backend: StorageBackend,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  /** Takes this server's lock on first use (not at start: start stays fast). */
  private holdLock(): Promise<pg.Client> {
    this.lockClient ??= (async () => {
      const client = new pg.Client(this.admin.options);
      client.on("error", (error) => {
        // The lock went with the connection; take it again on the next upload. Work in flight
        // checks at commit that its row is still there (see settle).
        this.log("storage lock connection lost", error);
        this.lockClient = null;
      });
      await client.connect();
      await client.query("select pg_advisory_lock($1)", [this.lockKey]);
      return client;
    })().catch((error) => {
      this.lockClient = null;
      throw error;
    });
    return this.lockClient;
  }

  /** Records versions about to be written, in their own committed statement. */
  async willWrite(keys: readonly BlobKey[]): Promise<void> {
    await this.holdLock();
    await this.admin.query(
      `insert into storage.groundwork_loose_blobs (bucket_id, name, version, server_lock)
       select * from unnest($1::text[], $2::text[], $3::text[]), lateral (select $4::bigint) l`,
      [keys.map((k) => k.bucket), keys.map((k) => k.name), keys.map((k) => k.version), this.lockKey],
    );
  }

  /** Takes this server's lock, named in the transactions that may drop versions (trigger). */
  async ready(): Promise<void> {
    await this.holdLock();
  }

  /**
   * In the transaction that makes `written` referenced: removes its rows, returning false when
   * one is gone (a sweep took this server for dead and deleted the bytes; the caller must roll
   * back). Versions the transaction stops pointing at are recorded by a trigger on
   * storage.objects, with this server's lock from the `storage.groundwork_server_lock` setting.
   */
  async settle(client: pg.ClientBase, written: readonly BlobKey[]): Promise<boolean> {
    if (written.length === 0) return true;
    const { rowCount } = await client.query(
      `delete from storage.groundwork_loose_blobs
       where (bucket_id, name, version) in (select * from unnest($1::text[], $2::text[], $3::text[]))`,
      [written.map((k) => k.bucket), written.map((k) => k.name), written.map((k) => k.version)],
    );
    return rowCount === written.length;
  }

  /** Deletes the bytes of versions no row refers to any more, then their ledger rows. */
  async discard(keys: readonly BlobKey[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.backend.delete(key);
        await this.admin.query(
          "delete from storage.groundwork_loose_blobs where bucket_id = $1 and name = $2 and version = $3",
          [key.bucket, key.name, key.version],
        );
      } catch (error) {
        // The row stays; the next sweep after this server stops retries.
        this.log(`could not delete the bytes of ${key.bucket}/${key.name}`, error);
      }
    }
  }

  /**
   * Deletes the bytes of every loose version whose server is gone (its lock is free) and that no
   * object refers to, and the backend's half-written files. Returns how many versions it removed.
   */
  async sweep(): Promise<number> {
    const partial = (await this.backend.sweepPartial?.()) ?? 0;
    const client = await this.admin.connect();
    let removed = 0;
    try {
      const { rows } = await client.query<{
        bucket_id: string;
        name: string;
        version: string;
        referenced: boolean;
      }>(
        `select l.bucket_id, l.name, l.version,
                exists (select from storage.objects o
                        where o.bucket_id = l.bucket_id and o.name = l.name and o.version = l.version) as referenced
         from storage.groundwork_loose_blobs l
         where l.server_lock <> $1 and pg_try_advisory_lock(l.server_lock)`,
        [this.lockKey],
      );
      await client.query("select pg_advisory_unlock_all()");
      for (const row of rows) {
        const key = { bucket: row.bucket_id, name: row.name, version: row.version };
        if (!row.referenced) await this.backend.delete(key);
        await client.query(
          "delete from storage.groundwork_loose_blobs where bucket_id = $1 and name = $2 and version = $3",
          [key.bucket, key.name, key.version],
        );
        removed++;
      }
    } finally {
      client.release();
    }
    return removed + partial;
  }

  async close(): Promise<void> {
    const pending = this.lockClient;
    this.lockClient = null;
    if (pending) await (await pending.catch(() => null))?.end();
  }
}
