-- groundwork.protect(): the one call that makes a table a tenant table. docs/tenancy.md.
--
--   select groundwork.protect('public.contacts',
--     rights => '{"admin": "tenant",
--                 "sales_director": {"read": "tenant", "write": "own"},
--                 "account_manager": "own"}',
--     owner_column => 'sales_id', owner_table => 'public.sales');
--
-- Policies follow Supabase's RLS performance guidance: `to authenticated`, every helper wrapped
-- in `(select ...)` so it runs once per statement, one permissive policy per command (so the
-- multiple_permissive_policies lint stays quiet), indexes on the tenant and owner columns.
-- UPDATE policies check the new row too, so a row cannot be moved to another tenant or handed to
-- another owner. Running protect() again replaces its policies (named groundwork_<command>).

create or replace function groundwork.protect(
  target regclass,
  rights jsonb,
  tenant_column name default 'tenant_id',
  owner_column name default null,
  owner_table regclass default null,
  owner_user_column name default 'user_id',
  fixture_values jsonb default '{}',
  drop_other_policies boolean default false
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_variable
declare
  normalized jsonb := groundwork.normalize_rights(rights);
  owner jsonb;
  api_roles oid[] := array[0::oid] || array(select r.oid from pg_roles r where r.rolname in ('anon', 'authenticated'));
  others text;
  other_name name;
  commands constant text[] := array['select', 'insert', 'update', 'delete'];
  command text;
  tenant_roles text[];
  own_roles text[];
  own_expr text;
  scopes text[];
  expr text;
  policies text[] := '{}';
  indexes text[] := '{}';
  index_name text;
  index_tables regclass[];
  index_columns name[];
  kind "char";
begin
  select c.relkind into kind from pg_class c where c.oid = target;
  if kind not in ('r', 'p') then
    raise exception '% is not a table', target using errcode = '22023';
  end if;
  if (select format_type(a.atttypid, null) from pg_attribute a
      where a.attrelid = target and a.attname = tenant_column and not a.attisdropped) is distinct from 'uuid' then
    raise exception 'tenant column %.% must exist and be a uuid', target, tenant_column
      using errcode = '22023', hint = 'Pass tenant_column => ''...''.';
  end if;
  if owner_column is null and exists (
    select from jsonb_each(normalized) r, jsonb_each_text(r.value) c where c.value = 'own'
  ) then
    raise exception 'an "own" scope on % needs owner_column => ''...''', target using errcode = '22023';
  end if;
  if fixture_values is null or jsonb_typeof(fixture_values) <> 'object' then
    raise exception 'fixture_values must be a JSON object of column -> value' using errcode = '22023';
  end if;
  owner := groundwork.protect_owner_spec(target, tenant_column, owner_column, owner_table, owner_user_column);

  -- Any other permissive policy for the API roles would be OR-ed with these and widen them.
  select string_agg(format('%I', p.polname), ', ' order by p.polname) into others
  from pg_policy p
  where p.polrelid = target and p.polpermissive and p.polname not like 'groundwork\_%' and p.polroles && api_roles;
  if others is not null then
    if not drop_other_policies then
      raise exception '% has other permissive policies (%) that would widen what groundwork.protect allows', target, others
        using errcode = '55000',
              hint = 'Drop them first, or call groundwork.protect(..., drop_other_policies => true).';
    end if;
    for other_name in
      select p.polname from pg_policy p
      where p.polrelid = target and p.polpermissive and p.polname not like 'groundwork\_%' and p.polroles && api_roles
    loop
      execute format('drop policy %I on %s', other_name, target);
    end loop;
  end if;

  foreach command in array commands loop
    execute format('drop policy if exists %I on %s', 'groundwork_' || command, target);
  end loop;
  execute format('alter table %s enable row level security', target);

  -- The owner test for `own` scope, given the list of roles that have it: the role is checked in
  -- the initPlan, so that a row costs one comparison, and a caller without the role matches nothing.
  if owner ->> 'owner_table' is not null then
    own_expr := format('%I = any ((select case when groundwork.active_role() in (%%s) then groundwork.%I() end)::uuid[])',
      owner_column,
      groundwork.create_owner_helper(owner_table, owner ->> 'owner_table_key', owner ->> 'owner_user_column',
        owner ->> 'owner_tenant_column'));
  elsif owner_column is not null then
    own_expr := format('%I = (select case when groundwork.active_role() in (%%s) then auth.uid() end)', owner_column);
  end if;

  foreach command in array commands loop
    select coalesce(array_agg(r.key order by r.key) filter (where r.value ->> command = 'tenant'), '{}'),
           coalesce(array_agg(r.key order by r.key) filter (where r.value ->> command = 'own'), '{}')
      into tenant_roles, own_roles
    from jsonb_each(normalized) r;
    -- No role may do this: no policy, so RLS denies it.
    continue when cardinality(tenant_roles) + cardinality(own_roles) = 0;
    -- The row is in the tenant the token claims, and the caller's role there decides the scope:
    -- a tenant-scope role reaches every row, an own-scope role the rows it owns, anyone else
    -- (a caller who is not a member has no role) nothing. Each role test is an initPlan, run once
    -- per statement; per row there is one boolean or one owner comparison.
    scopes := '{}';
    if cardinality(tenant_roles) > 0 then
      scopes := scopes || format('(select groundwork.active_role() in (%s))',
        (select string_agg(quote_literal(r), ', ') from unnest(tenant_roles) r));
    end if;
    if cardinality(own_roles) > 0 then
      scopes := scopes || format(own_expr, (select string_agg(quote_literal(r), ', ') from unnest(own_roles) r));
    end if;
    expr := format('%I = (select groundwork.claimed_tenant_id()) and %s', tenant_column,
      case when cardinality(scopes) = 1 then scopes[1] else format('(%s)', array_to_string(scopes, ' or ')) end);
    execute format('create policy %I on %s as permissive for %s to authenticated %s',
      'groundwork_' || command, target, command,
      case command
        when 'insert' then format('with check (%s)', expr)
        when 'update' then format('using (%s) with check (%s)', expr, expr)
        else format('using (%s)', expr)
      end);
    execute format('comment on policy %I on %s is %L', 'groundwork_' || command, target,
      format('groundwork.protect: %s; tenant scope: %s; own scope: %s', command,
        coalesce(nullif(array_to_string(tenant_roles, ', '), ''), '-'),
        coalesce(nullif(array_to_string(own_roles, ', '), ''), '-')));
    policies := policies || ('groundwork_' || command);
  end loop;

  -- Every policy filters on the tenant column and `own` on the owner column, and the owner helper
  -- looks the caller up by the owner table's user column: each needs a btree index that leads
  -- with it (a composite index counts only for its first column).
  index_tables := array[target, target, owner_table];
  index_columns := array[tenant_column, owner_column, (owner ->> 'owner_user_column')::name];
  for i in 1 .. 3 loop
    continue when index_tables[i] is null or index_columns[i] is null;
    if not exists (
      select from pg_index x
      join pg_class ic on ic.oid = x.indexrelid
      join pg_am am on am.oid = ic.relam
      join pg_attribute a on a.attrelid = index_tables[i] and a.attname = index_columns[i]
      where x.indrelid = index_tables[i] and x.indkey[0] = a.attnum and x.indpred is null and am.amname = 'btree'
    ) then
      index_name := left((select c.relname from pg_class c where c.oid = index_tables[i]) || '_' || index_columns[i], 59) || '_idx';
      execute format('create index %I on %s (%I)', index_name, index_tables[i], index_columns[i]);
      indexes := indexes || index_name;
    end if;
  end loop;

  perform groundwork.protect_warn_scopes(target, normalized);

  insert into groundwork.protected_tables as p (table_name, tenant_column, owner_column, owner_table, owner_table_key,
    owner_user_column, owner_tenant_column, rights, fixture_values, declared_at)
  values (target::text, tenant_column, owner ->> 'owner_column', owner ->> 'owner_table', owner ->> 'owner_table_key',
    owner ->> 'owner_user_column', owner ->> 'owner_tenant_column', normalized, fixture_values, now())
  on conflict (table_name) do update set
    tenant_column = excluded.tenant_column, owner_column = excluded.owner_column, owner_table = excluded.owner_table,
    owner_table_key = excluded.owner_table_key, owner_user_column = excluded.owner_user_column,
    owner_tenant_column = excluded.owner_tenant_column, rights = excluded.rights,
    fixture_values = excluded.fixture_values, declared_at = excluded.declared_at;

  return jsonb_build_object('table', target::text, 'rights', normalized, 'policies', to_jsonb(policies),
    'indexes_created', to_jsonb(indexes));
end
$$;

-- Postgres applies SELECT policies to the rows an UPDATE or DELETE reads, so a wider update or
-- delete scope than select scope is silently narrowed; say so when it happens.
create or replace function groundwork.protect_warn_scopes(target regclass, normalized jsonb) returns void
language plpgsql immutable
set search_path = ''
as $$
declare
  role_name text;
  spec jsonb;
  command text;
  ranks constant jsonb := '{"none": 0, "own": 1, "tenant": 2}';
begin
  for role_name, spec in select * from jsonb_each(normalized) loop
    foreach command in array array['update', 'delete'] loop
      if (ranks ->> (spec ->> command))::int > (ranks ->> (spec ->> 'select'))::int then
        raise warning '%: role "%" may % with scope % but only select with scope %; it will only % what it can select',
          target, role_name, command, spec ->> command, spec ->> 'select', command;
      end if;
    end loop;
  end loop;
end
$$;

-- Removes what protect() declared: its policies and the catalog row. Row-level security stays on
-- (a table with RLS and no policy is closed, not open).
create or replace function groundwork.unprotect(target regclass) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  command text;
begin
  foreach command in array array['select', 'insert', 'update', 'delete'] loop
    execute format('drop policy if exists %I on %s', 'groundwork_' || command, target);
  end loop;
  delete from groundwork.protected_tables p where p.table_name = target::text;
end
$$;

revoke all on function groundwork.protect(regclass, jsonb, name, name, regclass, name, jsonb, boolean),
  groundwork.protect_warn_scopes(regclass, jsonb), groundwork.unprotect(regclass) from public;
