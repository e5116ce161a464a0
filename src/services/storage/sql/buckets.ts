import type pg from "pg";
import type { BucketRow } from "../types.js";

/** The columns a bucket is returned with (Supabase's `Bucket`). */
const BUCKET_COLUMNS = `id, name, owner, public, file_size_limit::float8 as file_size_limit, allowed_mime_types,
  created_at, updated_at, type`;

const SORT_COLUMNS = new Set(["id", "name", "created_at", "updated_at"]);

export interface ListBucketsOptions {
  readonly limit?: number;
  readonly offset?: number;
  readonly search?: string;
  readonly sortColumn?: string;
  readonly sortOrder?: string;
}

/** The buckets the caller may see, filtered and sorted as `listBuckets` asks. */
export async function listBuckets(client: pg.ClientBase, options: ListBucketsOptions): Promise<BucketRow[]> {
  const column = SORT_COLUMNS.has(options.sortColumn ?? "") ? options.sortColumn : "name";
  const order = options.sortOrder?.toLowerCase() === "desc" ? "desc" : "asc";
  const { rows } = await client.query<BucketRow>(
    `select ${BUCKET_COLUMNS} from storage.buckets
     where $1::text is null or name ilike '%' || replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'
     order by ${column} ${order}, id
     limit $2 offset $3`,
    [options.search || null, options.limit ?? null, options.offset ?? 0],
  );
  return rows;
}

/** One bucket as the caller sees it, or null. */
export async function findBucket(client: pg.ClientBase, id: string): Promise<BucketRow | null> {
  const { rows } = await client.query<BucketRow>(
    `select ${BUCKET_COLUMNS} from storage.buckets where id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export interface BucketValues {
  readonly public?: boolean;
  readonly fileSizeLimit?: number | null;
  readonly allowedMimeTypes?: readonly string[] | null;
}

/** Inserts a bucket (as the caller: the insert policy decides). */
export async function insertBucket(
  client: pg.ClientBase,
  id: string,
  owner: string | null,
  values: BucketValues,
  type = "STANDARD",
): Promise<void> {
  await client.query(
    `insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types, type)
     values ($1, $1, case when $2 ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then $2::uuid end, $2, $3, $4, $5, $6)`,
    [id, owner, values.public ?? false, values.fileSizeLimit ?? null, values.allowedMimeTypes ?? null, type],
  );
}

/** Updates the given fields; returns false when no row was visible and updatable. */
export async function updateBucket(
  client: pg.ClientBase,
  id: string,
  values: BucketValues,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `update storage.buckets set
       public = coalesce($2, public),
       file_size_limit = case when $3 then $4 else file_size_limit end,
       allowed_mime_types = case when $5 then $6 else allowed_mime_types end,
       updated_at = now()
     where id = $1`,
    [
      id,
      values.public ?? null,
      values.fileSizeLimit !== undefined,
      values.fileSizeLimit ?? null,
      values.allowedMimeTypes !== undefined,
      values.allowedMimeTypes ?? null,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Deletes the bucket; returns false when no row was visible and deletable. */
export async function deleteBucket(client: pg.ClientBase, id: string): Promise<boolean> {
  const { rowCount } = await client.query("delete from storage.buckets where id = $1", [id]);
  return (rowCount ?? 0) > 0;
}

/** True when the bucket holds any object, whoever may see it (run on the platform pool). */
export async function bucketHasObjects(client: pg.ClientBase | pg.Pool, id: string): Promise<boolean> {
  const { rows } = await client.query("select 1 from storage.objects where bucket_id = $1 limit 1", [id]);
  return rows.length > 0;
}
