-- Groundwork's file security on top of Supabase Storage's schema (docs/storage.md): the
-- quarantine for files the virus scanner refused, and file events in the audit log.

-- Infected uploads: their bytes stay in the backend under their version, referenced by no object,
-- so nothing serves them; an admin lists them and releases (makes them the object) or deletes them.
create table if not exists storage.groundwork_quarantine (
  id uuid primary key default gen_random_uuid(),
  bucket_id text not null,
  name text not null,
  version text not null,
  signature text not null,
  size bigint,
  mimetype text,
  owner_id text,
  role text,
  tenant_id uuid,
  client_ip text,
  request_id text,
  created_at timestamptz not null default now()
);
create index if not exists groundwork_quarantine_bucket_idx on storage.groundwork_quarantine (bucket_id, created_at);
alter table storage.groundwork_quarantine enable row level security;
revoke all on storage.groundwork_quarantine from anon, authenticated, service_role;

-- File events join the row changes in the audit log (0020; absent where only Supabase's
-- storage schema is installed, e.g. a Supabase project this file is skipped on).
do $$
declare
  event text;
begin
  if to_regtype('groundwork.audit_operation') is not null then
    foreach event in array array['UPLOAD', 'DOWNLOAD', 'MOVE', 'COPY', 'REMOVE', 'QUARANTINE'] loop
      execute format('alter type groundwork.audit_operation add value if not exists %L', event);
    end loop;
  end if;
end
$$;

-- Records one file event: `actor` is who asked, as the API server established it (sub, role,
-- tenant_id, request_id, ip, user_agent, claims); `detail` is what happened (version, size,
-- mimetype, via: public|signed|authenticated, from...). record_id is the same for every event of
-- one object path, so a file's history is one indexed lookup:
--   record_id = groundwork.audit_record_id('storage.objects', '{"bucket_id": "b", "name": "n"}').
-- The server calls it with the platform role; the API roles may not (they could forge an actor).
create or replace function storage.groundwork_file_event(
  op text, bucket text, object_name text, detail jsonb, actor jsonb
) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  pk jsonb := jsonb_build_object('bucket_id', bucket, 'name', object_name);
  uuid_pattern constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  tenant text := actor ->> 'tenant_id';
  sub text := actor ->> 'sub';
begin
  insert into groundwork.audit_log (
    op, table_oid, table_schema, table_name, record_id, pk, record,
    tenant_id, auth_uid, auth_role, request_id, client_ip, user_agent, claims
  ) values (
    op::groundwork.audit_operation, 'storage.objects'::regclass, 'storage', 'objects',
    extensions.uuid_generate_v5('394a2e1a-146d-4692-aa71-70ec6733fbc0'::uuid,
      ('storage.objects'::regclass)::oid::text || ':' || pk::text),
    pk, pk || coalesce(detail, '{}'::jsonb),
    case when tenant ~* uuid_pattern and tenant <> '00000000-0000-0000-0000-000000000000' then tenant::uuid end,
    case when sub ~* uuid_pattern then sub::uuid end,
    actor ->> 'role', actor ->> 'request_id', actor ->> 'ip', actor ->> 'user_agent', actor -> 'claims'
  );
end
$$;
revoke all on function storage.groundwork_file_event(text, text, text, jsonb, jsonb) from public;
revoke all on function storage.groundwork_file_event(text, text, text, jsonb, jsonb) from anon, authenticated, service_role;
