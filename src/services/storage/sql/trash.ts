import type pg from "pg";

/** A soft-deleted object as listed to admins (`storage.groundwork_trash`). */
export interface TrashEntry {
  readonly id: string;
  readonly object_id: string;
  readonly bucket_id: string;
  readonly name: string;
  readonly version: string;
  readonly size: number | null;
  readonly mimetype: string | null;
  readonly owner_id: string | null;
  readonly deleted_by: string | null;
  readonly deleted_at: string;
  readonly purge_after: string;
}

/** A trash row with what restoring it needs. */
export interface TrashRow extends TrashEntry {
  readonly owner: string | null;
  readonly metadata: Record<string, unknown> | null;
  readonly user_metadata: Record<string, unknown> | null;
  readonly created_at: string | null;
}

const ENTRY_COLUMNS = `id, object_id, bucket_id, name, version, (metadata ->> 'size')::float8 as size,
  metadata ->> 'mimetype' as mimetype, owner_id, deleted_by, deleted_at, purge_after`;

/** The retention `storage.groundwork_bucket_settings` gives a bucket made at runtime, or null. */
export async function storedSoftDeleteDays(
  client: pg.ClientBase | pg.Pool,
  bucket: string,
): Promise<number | null> {
  const { rows } = await client.query<{ soft_delete_days: number | null }>(
    "select soft_delete_days from storage.groundwork_bucket_settings where bucket_id = $1",
    [bucket],
  );
  return rows[0]?.soft_delete_days ?? null;
}

/** Sets (or with null, clears) a bucket's retention; the bucket must exist. */
export async function storeSoftDeleteDays(
  client: pg.ClientBase | pg.Pool,
  bucket: string,
  days: number | null,
): Promise<void> {
  await client.query(
    `insert into storage.groundwork_bucket_settings (bucket_id, soft_delete_days) values ($1, $2)
     on conflict (bucket_id) do update set soft_delete_days = excluded.soft_delete_days`,
    [bucket, days],
  );
}

/** Soft-deleted objects, most recently deleted first (optionally of one bucket). */
export async function selectTrash(client: pg.ClientBase | pg.Pool, bucket?: string): Promise<TrashEntry[]> {
  const { rows } = await client.query<TrashEntry>(
    `select ${ENTRY_COLUMNS} from storage.groundwork_trash
     where $1::text is null or bucket_id = $1 order by deleted_at desc, name collate "C"`,
    [bucket ?? null],
  );
  return rows;
}

/** Takes one entry out of the trash (locked until the transaction ends); null when absent. */
export async function takeFromTrash(client: pg.ClientBase, id: string): Promise<TrashRow | null> {
  const { rows } = await client.query<TrashRow>(
    `delete from storage.groundwork_trash where id = $1
     returning ${ENTRY_COLUMNS}, owner, metadata, user_metadata, created_at`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * Takes up to `limit` entries out of the trash: the given ids, or those due at `dueBy`. Rows
 * another process is purging are skipped (`SKIP LOCKED`), so N processes purge each entry once.
 */
export async function takeDueFromTrash(
  client: pg.ClientBase,
  selection: { readonly ids?: readonly string[]; readonly dueBy?: Date },
  limit: number,
): Promise<TrashEntry[]> {
  const { rows } = await client.query<TrashEntry>(
    `delete from storage.groundwork_trash where id in (
       select id from storage.groundwork_trash
       where ($1::uuid[] is null or id = any($1::uuid[])) and ($2::timestamptz is null or purge_after <= $2)
       order by purge_after limit $3 for update skip locked)
     returning ${ENTRY_COLUMNS}`,
    [selection.ids ?? null, selection.dueBy ?? null, limit],
  );
  return rows;
}

/** Puts a trash entry's row back in storage.objects, with its id, version and metadata. */
export async function reinsertObject(client: pg.ClientBase, entry: TrashRow): Promise<void> {
  await client.query(
    `insert into storage.objects (id, bucket_id, name, version, owner, owner_id, metadata, user_metadata, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()))`,
    [
      entry.object_id,
      entry.bucket_id,
      entry.name,
      entry.version,
      entry.owner,
      entry.owner_id,
      entry.metadata,
      entry.user_metadata,
      entry.created_at,
    ],
  );
}
