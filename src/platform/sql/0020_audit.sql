-- The audit log (docs/audit.md): one call, groundwork.enable_audit('public.contacts'), puts a
-- table's inserts, updates, deletes and truncates on an append-only trail, with who did it (the
-- request's user, role, tenant, request id, IP, user agent and claims) read from the settings
-- withContext makes for every data API request. The design follows supa_audit: one row per change,
-- whole row images, and a stable record id (UUIDv5 over the table oid and the primary key) so a
-- row's whole history is one indexed lookup; extended with the tenant and the request.

create schema if not exists groundwork;

-- An enum rather than a checked text: a CHECK is set up again for every statement, and every
-- audited change is one INSERT statement of its own.
do $$
begin
  if not exists (select from pg_type where typname = 'audit_operation' and typnamespace = 'groundwork'::regnamespace) then
    create type groundwork.audit_operation as enum ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE');
  end if;
end
$$;

create table if not exists groundwork.audit_log (
  id bigint generated always as identity primary key,
  -- Transaction time: every change of one request shares it; id orders them.
  ts timestamptz not null default now(),
  op groundwork.audit_operation not null,
  table_oid oid not null,
  table_schema name not null,
  table_name name not null,
  -- groundwork.audit_record_id(table, pk) of the new row (INSERT, UPDATE) and of the old row
  -- (UPDATE, DELETE); they differ only when an update changes the primary key.
  record_id uuid,
  old_record_id uuid,
  -- The primary key of the row, e.g. {"id": 42}: the new row's, or the old row's for a DELETE.
  pk jsonb,
  record jsonb,
  old_record jsonb,
  -- The row's tenant_id (new row, else old row) when the table has a uuid tenant_id column.
  tenant_id uuid,
  auth_uid uuid,
  auth_role text,
  request_id text,
  client_ip text,
  user_agent text,
  claims jsonb,
  txid bigint not null default txid_current()
);

create index if not exists audit_log_record_id_idx on groundwork.audit_log (record_id) where record_id is not null;
create index if not exists audit_log_old_record_id_idx on groundwork.audit_log (old_record_id)
  where old_record_id is not null;
create index if not exists audit_log_tenant_id_ts_idx on groundwork.audit_log (tenant_id, ts);
-- Entries arrive in time order, so a BRIN index on ts is tiny and serves retention's range delete.
create index if not exists audit_log_ts_brin_idx on groundwork.audit_log using brin (ts);

-- The stable identity of a row: all versions of one row share it, so a row's history is one
-- indexed lookup: record_id = groundwork.audit_record_id('public.contacts', '{"id": 42}'). pk is
-- the primary key as a jsonb object; jsonb's text form is canonical (sorted keys), so the same key
-- always gives the same id.
create or replace function groundwork.audit_record_id(target regclass, pk jsonb) returns uuid
language sql immutable
set search_path = ''
as $$
  select extensions.uuid_generate_v5('394a2e1a-146d-4692-aa71-70ec6733fbc0'::uuid, target::oid::text || ':' || pk::text)
$$;

-- The columns an UPDATE changed, with their new values: groundwork.audit_diff(old_record, record).
create or replace function groundwork.audit_diff(old_record jsonb, new_record jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb)
  from jsonb_each(new_record) as n
  where old_record -> n.key is distinct from n.value
$$;

-- A uuid from text, or null when the text is not one (the read policy below takes the claimed
-- tenant through it, so a malformed claim reads nothing instead of failing).
create or replace function groundwork.audit_uuid(value text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then value::uuid end
$$;

-- The trigger function of audited tables. SECURITY DEFINER: the API roles hold no INSERT on the
-- audit log (nobody may write it directly), the trigger writes on their behalf. Arguments (set by
-- enable_audit): the primary key columns as a text[] literal, the tenant column or ''. It runs
-- for every audited row, so it calls no helper functions (each call of a function with its own
-- search_path costs a context switch): the record id and the uuid checks are written out here,
-- the same formulas as groundwork.audit_record_id and groundwork.audit_uuid.
create or replace function groundwork.audit_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  pk_columns text[] := tg_argv[0]::text[];
  tenant_column text := nullif(tg_argv[1], '');
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
  sub text := coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), claims ->> 'sub');
  new_record jsonb;
  old_record jsonb;
  new_pk jsonb;
  old_pk jsonb;
  tenant text;
begin
  if tg_op = 'INSERT' or tg_op = 'UPDATE' then
    new_record := to_jsonb(new);
    if cardinality(pk_columns) = 1 then
      new_pk := jsonb_build_object(pk_columns[1], new_record -> pk_columns[1]);
    else
      select jsonb_object_agg(c, new_record -> c) into new_pk from unnest(pk_columns) as c;
    end if;
  end if;
  if tg_op = 'UPDATE' or tg_op = 'DELETE' then
    old_record := to_jsonb(old);
    if cardinality(pk_columns) = 1 then
      old_pk := jsonb_build_object(pk_columns[1], old_record -> pk_columns[1]);
    else
      select jsonb_object_agg(c, old_record -> c) into old_pk from unnest(pk_columns) as c;
    end if;
  end if;
  tenant := coalesce(new_record, old_record) ->> tenant_column;
  -- An odd claim or column value must never make the audited write fail: what is not a uuid is
  -- recorded as null.
  insert into groundwork.audit_log (
    op, table_oid, table_schema, table_name, record_id, old_record_id, pk, record, old_record,
    tenant_id, auth_uid, auth_role, request_id, client_ip, user_agent, claims
  ) values (
    tg_op::groundwork.audit_operation, tg_relid, tg_table_schema, tg_table_name,
    extensions.uuid_generate_v5('394a2e1a-146d-4692-aa71-70ec6733fbc0'::uuid, tg_relid::text || ':' || new_pk::text),
    extensions.uuid_generate_v5('394a2e1a-146d-4692-aa71-70ec6733fbc0'::uuid, tg_relid::text || ':' || old_pk::text),
    coalesce(new_pk, old_pk), new_record, old_record,
    case when tenant ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then tenant::uuid end,
    case when sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then sub::uuid end,
    -- The role the request ran as (`role` is still the caller's inside this SECURITY DEFINER
    -- function); for a direct database session without SET ROLE, the login role.
    coalesce(claims ->> 'role', nullif(current_setting('role', true), 'none'), session_user),
    nullif(current_setting('request.id', true), ''),
    -- The client: the first address of x-forwarded-for (the data API always sets it).
    nullif(btrim(split_part(headers ->> 'x-forwarded-for', ',', 1)), ''),
    headers ->> 'user-agent',
    claims
  );
  return null;
end
$$;
revoke all on function groundwork.audit_change() from public;

-- Turns auditing on for a table (again: refreshes the primary key and tenant column it records).
create or replace function groundwork.enable_audit(target regclass) returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
declare
  kind char;
  pk_columns text[];
  tenant_column text;
begin
  select c.relkind into kind from pg_catalog.pg_class c where c.oid = target;
  if kind not in ('r', 'p') then
    raise exception '% is not a table: only tables can be audited', target using errcode = '42809';
  end if;
  select array_agg(a.attname::text order by k.ordinality) into pk_columns
  from pg_catalog.pg_index i
  cross join lateral unnest(i.indkey) with ordinality as k (attnum, ordinality)
  join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
  where i.indrelid = target and i.indisprimary;
  if pk_columns is null then
    raise exception 'table % can not be audited because it has no primary key', target
      using errcode = '55000', hint = 'Add a primary key: the audit log identifies rows by it.';
  end if;
  select a.attname into tenant_column
  from pg_catalog.pg_attribute a
  where a.attrelid = target and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped
    and a.atttypid = 'uuid'::regtype;
  execute format('drop trigger if exists groundwork_audit on %s', target);
  execute format('drop trigger if exists groundwork_audit_truncate on %s', target);
  execute format(
    'create trigger groundwork_audit after insert or update or delete on %s '
    'for each row execute function groundwork.audit_change(%L, %L)',
    target, pk_columns::text, coalesce(tenant_column, '')
  );
  execute format(
    'create trigger groundwork_audit_truncate after truncate on %s '
    'for each statement execute function groundwork.audit_change(%L, %L)',
    target, pk_columns::text, coalesce(tenant_column, '')
  );
end
$$;

-- Turns auditing off for a table; its past entries stay.
create or replace function groundwork.disable_audit(target regclass) returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
begin
  execute format('drop trigger if exists groundwork_audit on %s', target);
  execute format('drop trigger if exists groundwork_audit_truncate on %s', target);
end
$$;

-- Append-only, for everyone: the API roles hold no UPDATE, DELETE or TRUNCATE, and these triggers
-- refuse them to the owner as well. The one exception is a DELETE of entries older than the
-- cutoff that groundwork.purge_audit_log sets for its own transaction.
create or replace function groundwork.audit_log_guard() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  cutoff timestamptz := nullif(current_setting('groundwork.audit_purge_before', true), '')::timestamptz;
begin
  if tg_op = 'DELETE' and cutoff is not null then
    if tg_level = 'STATEMENT' then
      return null;
    end if;
    if old.ts < cutoff then
      return old;
    end if;
  end if;
  raise exception 'groundwork.audit_log is append-only: % is not allowed', tg_op
    using errcode = '42501',
      hint = 'Entries are removed only by the retention job (groundwork.purge_audit_log), by age.';
end
$$;
revoke all on function groundwork.audit_log_guard() from public;

drop trigger if exists audit_log_append_only on groundwork.audit_log;
create trigger audit_log_append_only before update or delete or truncate on groundwork.audit_log
  for each statement execute function groundwork.audit_log_guard();
drop trigger if exists audit_log_retention_only on groundwork.audit_log;
create trigger audit_log_retention_only before delete on groundwork.audit_log
  for each row execute function groundwork.audit_log_guard();

-- Retention: deletes the entries older than `retention` and returns how many. The server runs it
-- periodically when groundwork.toml sets [audit] retention_days.
create or replace function groundwork.purge_audit_log(retention interval) returns bigint
language plpgsql
set search_path = ''
as $$
declare
  cutoff timestamptz;
  deleted bigint;
begin
  if retention is null or retention <= interval '0' then
    raise exception 'the retention must be a positive interval, got %', retention using errcode = '22023';
  end if;
  cutoff := now() - retention;
  perform set_config('groundwork.audit_purge_before', cutoff::text, true);
  delete from groundwork.audit_log where ts < cutoff;
  get diagnostics deleted = row_count;
  perform set_config('groundwork.audit_purge_before', '', true);
  return deleted;
end
$$;

revoke all on function groundwork.enable_audit(regclass) from public;
revoke all on function groundwork.disable_audit(regclass) from public;
revoke all on function groundwork.purge_audit_log(interval) from public;

-- Reading: service_role reads everything (BYPASSRLS); a signed-in user reads the entries of the
-- active tenant in their token when they are, right now, an admin of it: the tenancy kit's
-- helper re-checks the membership, so a removed or demoted admin loses access at once rather
-- than when their token expires. Nobody else sees any.
alter table groundwork.audit_log enable row level security;
revoke all on groundwork.audit_log from public, anon, authenticated, service_role;
grant usage on schema groundwork to authenticated, service_role;
grant select on groundwork.audit_log to authenticated, service_role;
drop policy if exists "tenant admins read their tenant's entries" on groundwork.audit_log;
create policy "tenant admins read their tenant's entries" on groundwork.audit_log
  for select to authenticated
  using (tenant_id = (select groundwork.active_tenant_for('{admin}')));
