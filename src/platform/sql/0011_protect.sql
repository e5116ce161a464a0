-- Declarative protection: `groundwork.protect(table, rights, ...)` turns a table into a tenant
-- table (RLS on, one permissive policy per command for `authenticated`, the indexes the policies
-- need) and records the declaration in groundwork.protected_tables, from which
-- `groundwork test rls` derives the access matrix. docs/tenancy.md describes the declaration.

-- One row per protected table. Tables are named, not referenced by oid, so the catalog survives
-- pg_dump/restore; names are regclass text taken with an empty search_path (always qualified).
create table if not exists groundwork.protected_tables (
  table_name text primary key,
  tenant_column name not null,
  -- The owner column for `own` scope, or null when no role has it.
  owner_column name,
  -- When the owner column points at rows of a people table (public.sales) rather than at
  -- auth.users: that table, its key column, the column holding the auth user id, and its tenant
  -- column if it has one.
  owner_table text,
  owner_table_key name,
  owner_user_column name,
  owner_tenant_column name,
  -- Normalised rights: {"role": {"select": scope, "insert": scope, "update": scope, "delete": scope}}.
  rights jsonb not null,
  -- Column values `groundwork test rls` uses when it creates rows of this table (text, cast to
  -- the column type), for columns whose constraints it cannot satisfy on its own.
  fixture_values jsonb not null default '{}',
  declared_at timestamptz not null default now()
);
comment on table groundwork.protected_tables is
  'Declarations made with groundwork.protect(); groundwork test rls proves them against the live database.';
revoke all on groundwork.protected_tables from anon, authenticated;
alter table groundwork.protected_tables enable row level security;

-- Expands the rights shorthand into one scope per command, or raises 22023 naming what is wrong.
-- A role's value is a scope ("tenant" | "own" | "none") for every command, or an object with
-- keys all, read (= select), write (= insert, update, delete), select, insert, update, delete;
-- the more specific key wins.
create or replace function groundwork.normalize_rights(rights jsonb) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
declare
  role_name text;
  spec jsonb;
  key text;
  scope text;
  result jsonb := '{}';
  normalized jsonb;
  commands constant text[] := array['select', 'insert', 'update', 'delete'];
  command text;
begin
  if rights is null or jsonb_typeof(rights) <> 'object' or rights = '{}' then
    raise exception 'rights must be a non-empty JSON object of role -> scope'
      using errcode = '22023', hint = 'e.g. {"admin": "tenant", "member": {"read": "tenant", "write": "own"}}';
  end if;
  for role_name, spec in select * from jsonb_each(rights) loop
    if length(trim(role_name)) = 0 then
      raise exception 'rights: a role name is empty' using errcode = '22023';
    end if;
    normalized := jsonb_build_object('select', 'none', 'insert', 'none', 'update', 'none', 'delete', 'none');
    if jsonb_typeof(spec) = 'string' then
      spec := jsonb_build_object('all', spec);
    elsif jsonb_typeof(spec) <> 'object' then
      raise exception 'rights for role "%": expected a scope or an object, got %', role_name, spec
        using errcode = '22023';
    end if;
    for key, scope in select k, v from jsonb_each_text(spec) as e (k, v) loop
      if key not in ('all', 'read', 'write', 'select', 'insert', 'update', 'delete') then
        raise exception 'rights for role "%": unknown key "%" (expected select, insert, update, delete, read, write or all)',
          role_name, key using errcode = '22023';
      end if;
      if scope is null or scope not in ('tenant', 'own', 'none') then
        raise exception 'rights for role "%": "%" must be tenant, own or none (got %)', role_name, key, spec -> key
          using errcode = '22023';
      end if;
    end loop;
    -- Least specific first, so that specific keys override.
    foreach command in array commands loop
      scope := coalesce(
        spec ->> command,
        case when command = 'select' then spec ->> 'read' else spec ->> 'write' end,
        spec ->> 'all',
        'none'
      );
      normalized := jsonb_set(normalized, array[command], to_jsonb(scope));
    end loop;
    result := result || jsonb_build_object(role_name, normalized);
  end loop;
  return result;
end
$$;

-- The ids in `owner_table` that belong to the caller (its user column = auth.uid(), within the
-- active tenant when the table has a tenant column). Only tables named as owner tables by a
-- declaration may be asked about. Use as `owner = any ((select groundwork.owned_ids('public.sales'))::uuid[])`.
create or replace function groundwork.owned_ids(owner_table regclass) returns uuid[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  spec record;
  query text;
  result uuid[];
begin
  if caller is null then
    return '{}';
  end if;
  select p.owner_table_key, p.owner_user_column, p.owner_tenant_column into spec
  from groundwork.protected_tables p
  where p.owner_table = owned_ids.owner_table::text
  limit 1;
  if not found then
    raise exception '% is not the owner table of a protected table', owned_ids.owner_table using errcode = '42501';
  end if;
  query := format('select coalesce(array_agg(o.%I), ''{}'') from %s o where o.%I = $1',
    spec.owner_table_key, owned_ids.owner_table, spec.owner_user_column);
  if spec.owner_tenant_column is not null then
    query := query || format(' and o.%I = $2', spec.owner_tenant_column);
  end if;
  execute query into result using caller, groundwork.active_tenant_id();
  return result;
end
$$;
revoke all on function groundwork.owned_ids(regclass), groundwork.normalize_rights(jsonb) from public;
grant execute on function groundwork.owned_ids(regclass) to anon, authenticated, service_role;

-- The helper protect() generates for an owner table: public.sales -> groundwork.owned_sales_ids,
-- crm.people -> groundwork.owned_crm_people_ids.
create or replace function groundwork.owner_helper_name(owner_table regclass) returns name
language sql stable
set search_path = ''
as $$
  select (left('owned_' || case when n.nspname = 'public' then '' else n.nspname || '_' end || c.relname, 59) || '_ids')::name
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.oid = owner_table
$$;

-- Creates or replaces groundwork.owned_<table>_ids(), the helper policies call: the keys of the
-- owner table's rows whose user column is the caller (in the active tenant when the table has a
-- tenant column). Like groundwork.active_role() it reads what the data API checked for the request
-- (the setting request.owned_<table>_ids, a uuid[] literal) and otherwise calls
-- groundwork.lookup_owned_<table>_ids(), which looks the keys up with static SQL (PL/pgSQL caches
-- its plan). Triggers on the owner table tell the data API when a user's rows there change.
-- Returns the helper's name.
create or replace function groundwork.create_owner_helper(
  owner_table regclass, key_column name, user_column name, tenant_column name
) returns name
language plpgsql volatile
set search_path = ''
as $$
declare
  helper name := groundwork.owner_helper_name(owner_table);
  lookup name := ('lookup_' || left(helper, 56))::name;
  marker text := format('groundwork.protect: the caller''s keys in %s', owner_table);
  existing text;
  tenant_filter text := '';
  -- Only names that are valid in a setting's name get the data API's setting.
  cached boolean := helper ~ '^[a-z_][a-z0-9_]*$';
begin
  select string_agg(obj_description(p.oid, 'pg_proc'), ', ') filter (where obj_description(p.oid, 'pg_proc') is distinct from marker)
  into existing
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'groundwork' and p.proname in (helper, lookup) and p.pronargs = 0;
  if existing is not null then
    raise exception 'groundwork.%() already exists for something else (%)', helper, existing using errcode = '42723';
  end if;
  -- Without a well-formed tenant claim, claimed_tenant_id() is null and nobody owns rows of a
  -- tenant-scoped owner table.
  if tenant_column is not null then
    tenant_filter := format(' and o.%I = groundwork.claimed_tenant_id()', tenant_column);
  end if;
  execute format($create$
    create or replace function groundwork.%I() returns uuid[]
    language plpgsql stable security definer
    set search_path = ''
    as $body$
    declare
      result uuid[];
    begin
      select coalesce(array_agg(o.%I), '{}') into result from %s o where o.%I = auth.uid()%s;
      return result;
    end
    $body$
  $create$, lookup, key_column, owner_table, user_column, tenant_filter);
  execute format($create$
    create or replace function groundwork.%I() returns uuid[]
    language sql stable
    as $body$
      select %s
    $body$
  $create$, helper, case when cached
    then format('coalesce(nullif(pg_catalog.current_setting(%L, true), '''')::uuid[], groundwork.%I())', 'request.' || helper, lookup)
    else format('groundwork.%I()', lookup) end);
  foreach existing in array array[helper, lookup] loop
    execute format('comment on function groundwork.%I() is %L', existing, marker);
    execute format('revoke all on function groundwork.%I() from public', existing);
    execute format('grant execute on function groundwork.%I() to anon, authenticated, service_role', existing);
  end loop;
  execute format('create or replace trigger groundwork_scope_changed after insert or update or delete on %s '
    'for each row execute function groundwork.notify_scope_changed(%L)', owner_table, user_column);
  execute format('create or replace trigger groundwork_scope_truncated after truncate on %s '
    'for each statement execute function groundwork.notify_scope_changed()', owner_table);
  execute format('alter table %s enable always trigger groundwork_scope_changed', owner_table);
  execute format('alter table %s enable always trigger groundwork_scope_truncated', owner_table);
  return helper;
end
$$;
revoke all on function groundwork.owner_helper_name(regclass),
  groundwork.create_owner_helper(regclass, name, name, name) from public;

-- What the data API keeps in memory for a caller in a tenant (src/db/tenant-scope.ts), read in one
-- call when it is not there: the caller's role in the tenant and, per owner helper whose setting
-- the API may make, the caller's keys in that owner table. Exactly what groundwork.active_role()
-- and the owned_<table>_ids() helpers look up when the API did not check them. `tenant` is the
-- claimed tenant, or null for none. Only the platform calls it (no grants).
create or replace function groundwork.caller_scope(caller uuid, tenant uuid) returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  owned jsonb := '{}';
  spec record;
  helper name;
  keys uuid[];
begin
  for spec in
    select distinct on (p.owner_table) p.owner_table, p.owner_table_key, p.owner_user_column, p.owner_tenant_column
    from groundwork.protected_tables p
    where p.owner_table is not null and to_regclass(p.owner_table) is not null
    order by p.owner_table, p.declared_at desc
  loop
    helper := groundwork.owner_helper_name(spec.owner_table::regclass);
    continue when helper !~ '^[a-z_][a-z0-9_]*$';
    execute format('select coalesce(array_agg(o.%I), ''{}'') from %s o where o.%I = $1%s',
      spec.owner_table_key, spec.owner_table::regclass, spec.owner_user_column,
      case when spec.owner_tenant_column is null then '' else format(' and o.%I = $2', spec.owner_tenant_column) end)
    into keys using caller, tenant;
    owned := owned || jsonb_build_object(helper, keys);
  end loop;
  return jsonb_build_object(
    'role', (select m.role from groundwork.memberships m where m.user_id = caller and m.tenant_id = tenant),
    'owned', owned);
end
$$;
revoke all on function groundwork.caller_scope(uuid, uuid) from public;

-- A declaration made, changed or dropped can add an owner helper: everything kept is dropped.
create or replace trigger groundwork_scope_declarations
  after insert or update or delete or truncate on groundwork.protected_tables
  for each statement execute function groundwork.notify_scope_changed();

-- Checks and fills the declaration's owner fields; raises 22023 naming the problem.
create or replace function groundwork.protect_owner_spec(
  target regclass, tenant_column name, owner_column name, owner_table regclass, owner_user_column name
) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  key_column name;
  owner_tenant name;
begin
  if owner_column is null then
    return jsonb_build_object('owner_column', null);
  end if;
  if (select format_type(a.atttypid, null) from pg_attribute a
      where a.attrelid = target and a.attname = owner_column and not a.attisdropped) is distinct from 'uuid' then
    raise exception 'owner column %.% must exist and be a uuid', target, owner_column using errcode = '22023';
  end if;
  if owner_table is null then
    return jsonb_build_object('owner_column', owner_column);
  end if;
  -- The owner table's key: the column the owner column's foreign key references, else its primary key.
  select ra.attname into key_column
  from pg_constraint c
  join pg_attribute la on la.attrelid = c.conrelid and la.attnum = c.conkey[1]
  join pg_attribute ra on ra.attrelid = c.confrelid and ra.attnum = c.confkey[1]
  where c.contype = 'f' and c.conrelid = target and c.confrelid = owner_table
    and array_length(c.conkey, 1) = 1 and la.attname = owner_column
  limit 1;
  if key_column is null then
    select a.attname into key_column
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = owner_table and i.indisprimary and i.indnatts = 1;
  end if;
  if key_column is null or (select format_type(a.atttypid, null) from pg_attribute a
      where a.attrelid = owner_table and a.attname = key_column) <> 'uuid' then
    raise exception 'owner table % needs a uuid key referenced by %.%', owner_table, target, owner_column
      using errcode = '22023';
  end if;
  if (select format_type(a.atttypid, null) from pg_attribute a
      where a.attrelid = owner_table and a.attname = owner_user_column and not a.attisdropped) is distinct from 'uuid' then
    raise exception 'owner table % has no uuid column % holding the auth user id', owner_table, owner_user_column
      using errcode = '22023', hint = 'Pass owner_user_column => ''...''.';
  end if;
  select a.attname into owner_tenant from pg_attribute a
  where a.attrelid = owner_table and a.attname = tenant_column and not a.attisdropped;
  return jsonb_build_object('owner_column', owner_column, 'owner_table', owner_table::text,
    'owner_table_key', key_column, 'owner_user_column', owner_user_column, 'owner_tenant_column', owner_tenant);
end
$$;
revoke all on function groundwork.protect_owner_spec(regclass, name, name, regclass, name) from public;

-- Owner helpers generated by an earlier platform version are written again from the template
-- above (the helper reads the data API's setting, the lookup is a function of its own, the
-- owner table gets the triggers that notify changes).
do $$
declare
  spec record;
begin
  for spec in
    select distinct p.owner_table, p.owner_table_key, p.owner_user_column, p.owner_tenant_column
    from groundwork.protected_tables p
    where p.owner_table is not null and to_regclass(p.owner_table) is not null
  loop
    perform groundwork.create_owner_helper(spec.owner_table::regclass, spec.owner_table_key,
      spec.owner_user_column, spec.owner_tenant_column);
  end loop;
end
$$;
drop function if exists groundwork.caller_id(jsonb);
