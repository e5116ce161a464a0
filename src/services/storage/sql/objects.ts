import type pg from "pg";
import { jsonForPostgres } from "../audit.js";
import type { ObjectMetadata, ObjectRow } from "../types.js";

const OBJECT_COLUMNS = `id, bucket_id, name, owner, owner_id, version, metadata, user_metadata,
  created_at, updated_at, last_accessed_at`;

/** The owner uuid column takes the caller's `sub` only when it is a uuid. */
const OWNER_UUID = "case when $4::text ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then $4::uuid end";

/** The object as the client running the query sees it (RLS applies to callers), or null. */
export async function findObject(
  client: pg.ClientBase | pg.Pool,
  bucket: string,
  name: string,
  options: { forUpdate?: boolean } = {},
): Promise<ObjectRow | null> {
  const { rows } = await client.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2${options.forUpdate ? " for update" : ""}`,
    [bucket, name],
  );
  return rows[0] ?? null;
}

export interface ObjectWrite {
  readonly bucket: string;
  readonly name: string;
  readonly version: string;
  readonly owner: string | null;
  readonly metadata: ObjectMetadata | Record<string, never>;
  readonly userMetadata: Record<string, unknown> | null;
}

/**
 * The row write an upload makes, as the client running it: a plain insert (an existing key fails
 * with 23505) or, for an upsert, insert-or-update. Run as the caller and rolled back, it is the
 * permission probe; run on the platform connection, it is the final write.
 */
export async function writeObjectRow(
  client: pg.ClientBase,
  write: ObjectWrite,
  upsert: boolean,
): Promise<ObjectRow> {
  const { rows } = await client.query<ObjectRow>(
    `insert into storage.objects as o (bucket_id, name, version, owner, owner_id, metadata, user_metadata)
     values ($1, $2, $3, ${OWNER_UUID}, $4, $5, $6)
     ${
       upsert
         ? `on conflict (bucket_id, name) do update set version = excluded.version, owner = excluded.owner,
              owner_id = excluded.owner_id, metadata = excluded.metadata, user_metadata = excluded.user_metadata,
              last_accessed_at = now()`
         : ""
     }
     returning ${OBJECT_COLUMNS}`,
    [
      write.bucket,
      write.name,
      write.version,
      write.owner,
      jsonForPostgres(write.metadata),
      write.userMetadata === null ? null : jsonForPostgres(write.userMetadata),
    ],
  );
  return rows[0] as ObjectRow;
}

/** Deletes the named objects the client may delete; returns the deleted rows. */
export async function deleteObjects(
  client: pg.ClientBase,
  bucket: string,
  names: readonly string[],
): Promise<ObjectRow[]> {
  const { rows } = await client.query<ObjectRow>(
    `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
    [bucket, names],
  );
  return rows;
}

/** Deletes every object of a bucket the client may delete; returns the deleted rows. */
export async function deleteAllObjects(client: pg.ClientBase, bucket: string): Promise<ObjectRow[]> {
  const { rows } = await client.query<ObjectRow>(
    `delete from storage.objects where bucket_id = $1 returning ${OBJECT_COLUMNS}`,
    [bucket],
  );
  return rows;
}

/** Renames an object within or across buckets, as the client; null when no row was updated. */
export async function renameObject(
  client: pg.ClientBase,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string; version: string },
  owner: string | null,
): Promise<ObjectRow | null> {
  const { rows } = await client.query<ObjectRow>(
    `update storage.objects set bucket_id = $3, name = $4, version = $5,
       owner = case when $6::text ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then $6::uuid else owner end,
       owner_id = coalesce($6, owner_id)
     where bucket_id = $1 and name = $2
     returning ${OBJECT_COLUMNS}`,
    [from.bucket, from.name, to.bucket, to.name, to.version, owner],
  );
  return rows[0] ?? null;
}

export interface SearchOptions {
  readonly prefix: string;
  readonly limit?: number;
  readonly offset?: number;
  readonly search?: string;
  readonly sortColumn?: string;
  readonly sortOrder?: string;
}

/** `list`: one level of objects and folders under the prefix, through `storage.search`. */
export async function searchObjects(
  client: pg.ClientBase,
  bucket: string,
  options: SearchOptions,
): Promise<unknown[]> {
  const { rows } = await client.query("select * from storage.search($1, $2, $3, 1, $4, $5, $6, $7)", [
    options.prefix,
    bucket,
    options.limit ?? 100,
    options.offset ?? 0,
    options.search ?? "",
    options.sortColumn ?? "name",
    options.sortOrder ?? "asc",
  ]);
  return rows;
}

/**
 * Serialises the writers of one key until the transaction ends, also while the key has no row
 * to lock yet, so each writer sees the version it replaces.
 */
export async function lockKey(client: pg.ClientBase, bucket: string, name: string): Promise<void> {
  await client.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [`${bucket}/${name}`]);
}

/**
 * An upload's final write, on the platform connection with the key's writer lock held: inserts
 * the row or, for an upsert, replaces the current one, and names the version it replaced. Null
 * when the key exists and `upsert` is false. One statement: the `current` CTE locks and reads the
 * row before the write (the insert selects from it, so it runs first; read after the write in
 * the same command, the row would be skipped as modified by it).
 */
export async function commitObjectRow(
  client: pg.ClientBase,
  write: ObjectWrite,
  upsert: boolean,
): Promise<{ row: ObjectRow; replacedVersion: string | null } | null> {
  const { rows } = await client.query<ObjectRow & { replaced_version: string | null }>(
    `with current as (
       select version from storage.objects where bucket_id = $1 and name = $2 for update
     )
     insert into storage.objects as o (bucket_id, name, version, owner, owner_id, metadata, user_metadata)
     select $1::text, $2::text, $3::text, ${OWNER_UUID}, $4::text, $5::jsonb, $6::jsonb
     from (values (1)) as one left join current on true
     on conflict (bucket_id, name) do ${
       upsert
         ? `update set version = excluded.version, owner = excluded.owner, owner_id = excluded.owner_id,
              metadata = excluded.metadata, user_metadata = excluded.user_metadata, last_accessed_at = now()`
         : "nothing"
     }
     returning ${OBJECT_COLUMNS}, (select version from current) as replaced_version`,
    [
      write.bucket,
      write.name,
      write.version,
      write.owner,
      jsonForPostgres(write.metadata),
      write.userMetadata === null ? null : jsonForPostgres(write.userMetadata),
    ],
  );
  const found = rows[0];
  if (!found) return null;
  const { replaced_version: replacedVersion, ...row } = found;
  return { row, replacedVersion };
}
