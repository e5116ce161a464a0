-- File records on top of Storage: every upload into the `files` bucket gets a row here, which the
-- file-processing function completes (scan result, size, type, dimensions, thumbnail). Deleting a
-- record only marks it deleted (soft delete): it and its bytes disappear for members at once, and
-- the analytics job purges it for good after 30 days. Downloads are written to the access log.
--
-- Storage layout: files/<organization id>/<user id>/<file name>; thumbnails/<the same path>.

create table public.files (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references groundwork.tenants (id) on delete cascade,
  -- The uploader.
  user_id uuid not null references auth.users (id) on delete cascade,
  bucket_id text not null default 'files',
  storage_path text not null,
  filename text not null check (length(filename) between 1 and 1024),
  mime_type text,
  file_size bigint check (file_size >= 0),
  width integer check (width > 0),
  height integer check (height > 0),
  checksum text,
  -- Storage's ClamAV verdict: clean, or not_scanned when no scanner was reachable.
  scan_status text,
  thumbnail_path text,
  status text not null default 'processing' check (status in ('processing', 'available', 'rejected')),
  tags text[] not null default '{}',
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  processed_at timestamptz,
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  deleted_by uuid,
  unique (bucket_id, storage_path)
);
-- The purge finds records deleted before its cutoff; the policy hiding deleted records reads it.
create index files_deleted_at_idx on public.files (deleted_at);

create trigger files_updated_at before update on public.files
  for each row execute function private.touch_updated_at();

create table public.file_access_log (
  id bigint generated always as identity primary key,
  file_id uuid not null references public.files (id) on delete cascade,
  organization_id uuid not null references groundwork.tenants (id) on delete cascade,
  -- The member; null for a download through a signed URL.
  user_id uuid references auth.users (id) on delete cascade,
  action text not null check (action in ('upload', 'download', 'delete')),
  ip_address text,
  user_agent text,
  request_id text,
  created_at timestamptz not null default now()
);
create index file_access_log_file_idx on public.file_access_log (file_id, created_at);

-- Records come from uploads and the log from triggers: members read and delete, nothing else.
revoke all on public.files, public.file_access_log from anon;
revoke insert, update, truncate on public.files from authenticated;
revoke insert, update, delete, truncate on public.file_access_log from authenticated;

-- Soft delete: a DELETE that row-level security allows marks the record instead of removing it.
-- The purge (private.purge_deleted_files) sets toolboxai.purge to remove rows for good.
create function private.soft_delete_file() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if current_setting('toolboxai.purge', true) = 'on' then
    return old;
  end if;
  if old.deleted_at is null then
    update public.files set deleted_at = now(), deleted_by = auth.uid() where id = old.id;
    if auth.uid() is not null then
      insert into public.file_access_log (file_id, organization_id, user_id, action, request_id)
      values (old.id, old.organization_id, auth.uid(), 'delete',
              current_setting('request.headers', true)::jsonb ->> 'x-request-id');
    end if;
  end if;
  return null;
end
$$;
create trigger files_soft_delete before delete on public.files
  for each row execute function private.soft_delete_file();

-- Whether a stored object belongs to a soft-deleted file record (storage policies hide those).
-- SECURITY DEFINER: members cannot see deleted records themselves.
create function private.file_is_deleted(bucket text, object_name text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.files f
                  where f.bucket_id = bucket and f.storage_path = object_name and f.deleted_at is not null)
$$;
revoke all on function private.file_is_deleted(text, text) from public, anon;
grant execute on function private.file_is_deleted(text, text) to authenticated, service_role;

-- Every upload into `files` gets its record (and an `upload` entry) in the upload's transaction.
create function private.record_uploaded_file() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  folders text[] := storage.foldername(new.name);
  uuid_pattern constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  uploader uuid;
  organization uuid;
  file_id uuid;
begin
  -- Outside the layout (a service-role upload elsewhere): no record.
  if coalesce(folders[1], '') !~* uuid_pattern or coalesce(folders[2], '') !~* uuid_pattern then
    return null;
  end if;
  organization := folders[1]::uuid;
  uploader := coalesce(new.owner, folders[2]::uuid);
  if not exists (select 1 from groundwork.tenants where id = organization)
     or not exists (select 1 from auth.users where id = uploader) then
    return null;
  end if;
  insert into public.files (organization_id, user_id, bucket_id, storage_path, filename, mime_type,
                            file_size, checksum, scan_status)
  values (organization, uploader, new.bucket_id, new.name, storage.filename(new.name),
          new.metadata ->> 'mimetype', (new.metadata ->> 'size')::bigint, new.metadata ->> 'eTag',
          new.metadata ->> 'scanStatus')
  on conflict (bucket_id, storage_path) do update
    set mime_type = excluded.mime_type, file_size = excluded.file_size, checksum = excluded.checksum,
        scan_status = excluded.scan_status, status = 'processing', deleted_at = null, deleted_by = null
  returning id into file_id;
  insert into public.file_access_log (file_id, organization_id, user_id, action)
  values (file_id, organization, uploader, 'upload');
  return null;
end
$$;
create trigger files_record_upload after insert on storage.objects
  for each row when (new.bucket_id = 'files') execute function private.record_uploaded_file();

-- Removing the bytes through Storage marks the record deleted too.
create function private.mark_removed_file() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.files set deleted_at = now()
   where bucket_id = old.bucket_id and storage_path = old.name and deleted_at is null;
  return null;
end
$$;
create trigger files_mark_removed after delete on storage.objects
  for each row when (old.bucket_id = 'files') execute function private.mark_removed_file();

-- The access log of downloads: Storage writes every download (authenticated, signed, public,
-- transformed) to Groundwork's audit log (docs/storage.md); each download of a `files` object
-- becomes a `download` entry of its record, with the member (none for a signed URL, whose holder
-- is not known), IP, user agent and request id. The service role's downloads (the
-- file-processing function) are the system's own, not accesses.
create function private.log_file_download() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  found public.files;
begin
  select * into found from public.files
   where bucket_id = new.record ->> 'bucket_id' and storage_path = new.record ->> 'name';
  if found.id is not null then
    insert into public.file_access_log (file_id, organization_id, user_id, action, ip_address, user_agent, request_id)
    values (found.id, found.organization_id, new.auth_uid, 'download', new.client_ip, new.user_agent, new.request_id);
  end if;
  return null;
end
$$;
create trigger toolboxai_file_downloads after insert on groundwork.audit_log
  for each row when (new.op = 'DOWNLOAD' and new.table_name = 'objects' and new.table_schema = 'storage'
                     and new.record ->> 'bucket_id' = 'files' and new.auth_role is distinct from 'service_role')
  execute function private.log_file_download();

-- Storage policies. Members upload into their own folder of their organization; students read
-- their own files, teachers and admins the whole organization's; uploaders and admins remove.
-- Files whose record was deleted are hidden.
create policy "files: members read" on storage.objects for select to authenticated
  using (bucket_id = 'files'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text
         and ((select groundwork.active_role()) in ('admin', 'teacher')
              or (storage.foldername(name))[2] = (select auth.uid())::text)
         and not private.file_is_deleted(bucket_id, name));

create policy "files: members upload into their folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'files'
              and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text
              and (storage.foldername(name))[2] = (select auth.uid())::text
              and (select groundwork.active_role()) in ('admin', 'teacher', 'student'));

create policy "files: uploaders and admins remove" on storage.objects for delete to authenticated
  using (bucket_id = 'files'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text
         and ((select groundwork.active_role()) = 'admin'
              or (storage.foldername(name))[2] = (select auth.uid())::text));

-- Thumbnails are written by the function (service role); members read them as their files.
create policy "thumbnails: members read" on storage.objects for select to authenticated
  using (bucket_id = 'thumbnails'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text
         and ((select groundwork.active_role()) in ('admin', 'teacher')
              or (storage.foldername(name))[2] = (select auth.uid())::text)
         and not private.file_is_deleted('files', name));
