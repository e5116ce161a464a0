-- Soft delete with retention (docs/storage.md, "Soft delete"): a groundwork extension, opt-in per
-- bucket. A removed object of such a bucket leaves storage.objects at once (so nothing lists,
-- serves or signs it, and its path is free for a new upload) and waits in the trash with its
-- bytes until it is restored or its retention ends and the storage sweep purges it.

-- Per-bucket settings of buckets made at runtime (API or SQL). Buckets named in groundwork.toml
-- [storage.buckets.NAME] take their `soft_delete_days` from there. A side table, so that
-- storage.buckets keeps the exact shape supabase-js and Studio read.
create table if not exists storage.groundwork_bucket_settings (
  bucket_id text primary key references storage.buckets (id) on delete cascade,
  soft_delete_days integer check (soft_delete_days >= 0)
);
alter table storage.groundwork_bucket_settings enable row level security;
revoke all on storage.groundwork_bucket_settings from anon, authenticated, service_role;

-- Soft-deleted objects: the removed row as it was, who removed it and when it is purged. Several
-- entries may share a path (removed, uploaded again, removed again); each has its own version.
-- No foreign key to the bucket: a bucket emptied and deleted keeps its trash until the purge.
create table if not exists storage.groundwork_trash (
  id uuid primary key default gen_random_uuid(),
  object_id uuid not null,
  bucket_id text not null,
  name text not null,
  version text not null,
  owner uuid,
  owner_id text,
  metadata jsonb,
  user_metadata jsonb,
  created_at timestamptz,
  updated_at timestamptz,
  deleted_by text,
  deleted_at timestamptz not null default now(),
  purge_after timestamptz not null,
  unique (bucket_id, name, version)
);
create index if not exists groundwork_trash_purge_idx on storage.groundwork_trash (purge_after);
create index if not exists groundwork_trash_path_idx on storage.groundwork_trash (bucket_id, name);
alter table storage.groundwork_trash enable row level security;
revoke all on storage.groundwork_trash from anon, authenticated, service_role;

-- In a transaction where the API removes objects of a bucket with soft delete (it sets
-- storage.groundwork_trash_days to the bucket's retention), a deleted row goes to the trash with
-- its version, and its bytes stay. 0030's trigger has just put that version on the loose-blob
-- ledger (triggers fire in name order: groundwork_record_dropped_blob, then this one); it is the
-- trash's now, so it leaves the ledger. Every other dropped version (an overwrite, a move, a
-- remove without soft delete, a DELETE from SQL) stays a loose blob, as 0030 has it.
create or replace function storage.groundwork_keep_removed_in_trash() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  trash_days integer := nullif(current_setting('storage.groundwork_trash_days', true), '')::integer;
begin
  if old.version is null or trash_days is null or trash_days <= 0 then
    return null;
  end if;
  insert into storage.groundwork_trash (
    object_id, bucket_id, name, version, owner, owner_id, metadata, user_metadata, created_at, updated_at,
    deleted_by, purge_after
  ) values (
    old.id, old.bucket_id, old.name, old.version, old.owner, old.owner_id, old.metadata, old.user_metadata,
    old.created_at, old.updated_at,
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
    now() + make_interval(days => trash_days)
  ) on conflict do nothing;
  delete from storage.groundwork_loose_blobs
  where bucket_id = old.bucket_id and name = old.name and version = old.version;
  return null;
end
$$;
revoke all on function storage.groundwork_keep_removed_in_trash() from public;
revoke execute on function storage.groundwork_keep_removed_in_trash() from anon, authenticated, service_role;

drop trigger if exists groundwork_trash_removed on storage.objects;
create trigger groundwork_trash_removed
  after delete on storage.objects
  for each row execute function storage.groundwork_keep_removed_in_trash();

-- Restores and purges are file events of the audit log, beside 0031's.
do $$
declare
  event text;
begin
  if to_regtype('groundwork.audit_operation') is not null then
    foreach event in array array['RESTORE', 'PURGE'] loop
      execute format('alter type groundwork.audit_operation add value if not exists %L', event);
    end loop;
  end if;
end
$$;
