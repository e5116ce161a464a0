-- Brings the `storage` schema of 0004 up to Supabase Storage's current shape (its tenant
-- migrations up to 0063): the bucket type, the bucket name trigger, the guard against direct
-- deletes, the operation helpers and the `search` function that backs `list`.

do $$
begin
  if not exists (select from pg_type where typname = 'buckettype' and typnamespace = 'storage'::regnamespace) then
    create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
  end if;
end
$$;

alter table storage.buckets add column if not exists type storage.buckettype not null default 'STANDARD';

-- Objects go with their bucket only through the API (which empties it first); the foreign key
-- stays as Supabase has it, without a cascade.
alter table storage.objects alter column name set not null;
alter table storage.objects alter column bucket_id set not null;

-- Supabase rejects bucket names over 100 characters in a trigger (tenant migration 0037).
create or replace function storage.enforce_bucket_name_length() returns trigger
language plpgsql
as $$
begin
  if length(new.name) > 100 then
    raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
  end if;
  return new;
end
$$;

drop trigger if exists enforce_bucket_name_length_trigger on storage.buckets;
create trigger enforce_bucket_name_length_trigger
  before insert or update of name on storage.buckets
  for each row execute function storage.enforce_bucket_name_length();

-- Direct DELETEs would leave the files behind (tenant migration 0055): the API sets
-- storage.allow_delete_query for its own transactions; SQL editors and scripts are refused.
create or replace function storage.protect_delete() returns trigger
language plpgsql
as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), 'false') <> 'true' then
    raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
      using hint = 'This prevents accidental data loss from orphaned objects.', errcode = '42501';
  end if;
  return null;
end
$$;

drop trigger if exists protect_buckets_delete on storage.buckets;
create trigger protect_buckets_delete
  before delete on storage.buckets
  for each statement execute function storage.protect_delete();
drop trigger if exists protect_objects_delete on storage.objects;
create trigger protect_objects_delete
  before delete on storage.objects
  for each statement execute function storage.protect_delete();

-- updated_at follows every update, as Supabase's update_updated_at_column trigger does.
create or replace function storage.update_updated_at_column() returns trigger
language plpgsql
as $$
begin
  new.updated_at = now();
  return new;
end
$$;

drop trigger if exists update_objects_updated_at on storage.objects;
create trigger update_objects_updated_at
  before update on storage.objects
  for each row execute function storage.update_updated_at_column();

-- The operation the request is making (e.g. 'storage.object.upload'), for policies that allow
-- one operation only; the `storage.` prefix may be left out (tenant migration 0058).
create or replace function storage.allow_only_operation(expected_operation text) returns boolean
language sql stable
as $$
  select case
    when expected_operation is null then false
    when expected_operation like 'storage.%' then storage.operation() = expected_operation
    else storage.operation() = 'storage.' || expected_operation
  end
$$;

create or replace function storage.allow_any_operation(expected_operations text[]) returns boolean
language sql stable
as $$
  select coalesce(bool_or(storage.allow_only_operation(op)), false)
  from unnest(expected_operations) as op
$$;

create or replace function storage.get_size_by_bucket() returns table (size bigint, bucket_id text)
language sql stable
as $$
  select sum((metadata ->> 'size')::bigint)::bigint as size, obj.bucket_id
  from storage.objects as obj
  group by obj.bucket_id
$$;

-- Case folding for `list`'s search that also folds accented letters (É -> é) although the
-- cluster's locale is C: PostgreSQL 17's builtin C.UTF-8 collation where it exists, ICU's root
-- collation otherwise, plain lower() as a last resort.
do $$
declare
  folding text := case
    when exists (select from pg_collation where collname = 'pg_c_utf8') then 'lower(value collate pg_c_utf8)'
    when exists (select from pg_collation where collname = 'und-x-icu') then 'lower(value collate "und-x-icu")'
    else 'lower(value)' end;
begin
  execute format(
    'create or replace function storage.groundwork_fold(value text) returns text language sql immutable parallel safe as %L',
    'select ' || folding);
end
$$;

-- Backs `list`: the objects and folders (common prefixes) one level under `prefix`, as the caller
-- sees them (SECURITY INVOKER, so RLS applies). `name` is relative to the prefix, folders have
-- null id, timestamps and metadata; `search` narrows the entries to names starting with it (case
-- insensitive). Sorting by name mixes folders and files; any other column puts folders first, as
-- Supabase does. `levels` is kept for the signature only, as Supabase keeps it.
create or replace function storage.search(
  prefix text,
  bucketname text,
  limits int default 100,
  levels int default 1,
  offsets int default 0,
  search text default '',
  sortcolumn text default 'name',
  sortorder text default 'asc'
)
returns table (
  name text,
  id uuid,
  updated_at timestamptz,
  created_at timestamptz,
  last_accessed_at timestamptz,
  metadata jsonb
)
language plpgsql stable
as $$
declare
  v_prefix text := coalesce(prefix, '');
  -- The prefix ends with '/' (or is empty), so an entry is the path token at this position.
  v_level int := coalesce(array_length(string_to_array(v_prefix, '/'), 1), 1);
  v_column text := case lower(coalesce(sortcolumn, 'name'))
    when 'updated_at' then 'updated_at'
    when 'created_at' then 'created_at'
    when 'last_accessed_at' then 'last_accessed_at'
    else 'name' end;
  v_order text := case when lower(coalesce(sortorder, 'asc')) = 'desc' then 'desc' else 'asc' end;
begin
  return query execute format(
    $sql$
    with matched as (
      select o.path_tokens[$1] as entry, array_length(o.path_tokens, 1) > $1 as is_folder,
             o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata
      from storage.objects o
      where o.bucket_id = $2
        and starts_with(storage.groundwork_fold(o.name), storage.groundwork_fold($3))
        and array_length(o.path_tokens, 1) >= $1
    ),
    entries as (
      select entry as name, null::uuid as id, null::timestamptz as updated_at, null::timestamptz as created_at,
             null::timestamptz as last_accessed_at, null::jsonb as metadata, 0 as kind
      from matched where is_folder group by entry
      union all
      select entry, m.id, m.updated_at, m.created_at, m.last_accessed_at, m.metadata, 1
      from matched m where not is_folder
    )
    select e.name, e.id, e.updated_at, e.created_at, e.last_accessed_at, e.metadata
    from entries e
    order by %s e.%I %s, e.name collate "C" %s
    limit $4 offset $5
    $sql$,
    case when v_column = 'name' then '' else 'e.kind,' end,
    v_column, v_order, v_order
  ) using v_level, bucketname, v_prefix || coalesce(search, ''), least(coalesce(limits, 100), 1500),
          greatest(coalesce(offsets, 0), 0);
end
$$;

-- Bytes that no object may refer to: an upload's new version from before its bytes are written
-- until the object row that points at them commits, and a replaced or deleted version from the
-- commit that drops it until its bytes are deleted. Each row names the server doing the work by
-- the advisory lock that server holds; a row whose lock is free belongs to a server that is gone,
-- and the sweep deletes its bytes unless an object refers to them after all.
create table if not exists storage.groundwork_loose_blobs (
  bucket_id text not null,
  name text not null,
  version text not null,
  server_lock bigint not null,
  since timestamptz not null default now(),
  primary key (bucket_id, name, version)
);
alter table storage.groundwork_loose_blobs enable row level security;
revoke all on storage.groundwork_loose_blobs from anon, authenticated, service_role;

-- Every version a row stops pointing at (deleted, replaced, moved) becomes a loose blob in the
-- same transaction, whoever dropped it and how; the server deletes its bytes after the commit, or
-- the sweep does. The server names itself in storage.groundwork_server_lock; without it (a DELETE
-- from SQL) the row carries lock 0, which no server holds, so the next sweep takes it.
create or replace function storage.groundwork_record_dropped_blob() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.version is not null and (
    tg_op = 'DELETE' or new.version is distinct from old.version
    or new.name is distinct from old.name or new.bucket_id is distinct from old.bucket_id
  ) then
    insert into storage.groundwork_loose_blobs (bucket_id, name, version, server_lock)
    values (old.bucket_id, old.name, old.version,
            coalesce(nullif(current_setting('storage.groundwork_server_lock', true), '')::bigint, 0))
    on conflict do nothing;
  end if;
  return null;
end
$$;
revoke all on function storage.groundwork_record_dropped_blob() from public;

drop trigger if exists groundwork_record_dropped_blob on storage.objects;
create trigger groundwork_record_dropped_blob
  after delete or update on storage.objects
  for each row execute function storage.groundwork_record_dropped_blob();

grant execute on all functions in schema storage to anon, authenticated, service_role;
revoke execute on function storage.groundwork_record_dropped_blob() from anon, authenticated, service_role;
grant usage on type storage.buckettype to anon, authenticated, service_role;
