-- Tenancy: tenants, memberships (who has which role in which tenant), the helpers policies call,
-- the custom access token hook that puts the active tenant in the token, and tenant switching.
--
-- The `groundwork` schema is never exposed through the data API. The API roles get USAGE on it
-- only so that policies (which run as the caller) can call the helpers below; every table here
-- keeps row-level security on and grants nothing it does not need.
--
-- Token contract (the audit log and apps rely on it; do not rename):
--   app_metadata.tenant_id   the active tenant's id (uuid as text)
--   app_metadata.tenant_role the caller's role in it (memberships.role)
-- Policies never trust the token's role: the helpers check the membership, so removing a member
-- or changing a role takes effect on the caller's next request (through the data API: once its
-- processes have heard the change notified, milliseconds after the commit), not at the next
-- token refresh.

create schema if not exists groundwork;

create table if not exists groundwork.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(trim(name)) > 0),
  slug text unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  created_at timestamptz not null default now()
);

-- The nil uuid means "no tenant" to active_tenant_for(); no tenant may have it.
do $$
begin
  if not exists (select from pg_constraint where conname = 'tenants_id_not_nil' and conrelid = 'groundwork.tenants'::regclass) then
    alter table groundwork.tenants add constraint tenants_id_not_nil check (id <> '00000000-0000-0000-0000-000000000000');
  end if;
end
$$;

create table if not exists groundwork.memberships (
  user_id uuid not null references auth.users (id) on delete cascade,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  -- The application's role names (admin, sales_director, teacher...): the keys of the rights
  -- given to groundwork.protect().
  role text not null check (length(trim(role)) > 0),
  -- The tenant the access token hook puts in the user's next token; at most one per user.
  is_active boolean not null default false,
  created_at timestamptz not null default now(),
  -- user_id first: every policy looks memberships up by the caller.
  primary key (user_id, tenant_id)
);
create index if not exists memberships_tenant_id_idx on groundwork.memberships (tenant_id);
create unique index if not exists memberships_one_active_idx on groundwork.memberships (user_id) where is_active;

comment on table groundwork.tenants is 'Tenants (organisations) of a multi-tenant app; docs/tenancy.md.';
comment on table groundwork.memberships is
  'Who belongs to which tenant with which role: the one source of roles for groundwork.protect() policies.';

grant usage on schema groundwork to anon, authenticated, service_role, supabase_auth_admin;

-- Members read their own tenants and memberships (an app lists them in a tenant switcher, e.g.
-- through a security_invoker view); writes go through service_role or SECURITY DEFINER
-- functions. anon may select so that such a view answers [] rather than 401.
alter table groundwork.tenants enable row level security;
alter table groundwork.memberships enable row level security;
revoke all on groundwork.tenants, groundwork.memberships from anon, authenticated;
grant select on groundwork.tenants to anon, authenticated;
grant select on groundwork.memberships to authenticated;
grant all on groundwork.tenants, groundwork.memberships to service_role;
-- The access token hook runs as supabase_auth_admin (as on Supabase) and reads memberships.
grant select on groundwork.memberships to supabase_auth_admin;

-- The helpers below that look memberships up are PL/pgSQL on purpose: PL/pgSQL caches the plans
-- of its queries for the session, where a non-inlined SQL function (SECURITY DEFINER or SET
-- search_path) is planned again on every call. The ones policies call are SQL, inlined into the
-- policy, and read what the data API already checked for the request before looking anything up.
-- Policies call them once per statement (wrapped in a select, an initPlan), so this is what
-- row-level security costs per request (bench/tenancy).

-- claimed_tenant_id() without the data API's request.tenant_id: reads the claims JSON. The
-- shape test is translate(), not a regular expression: `~ '^[0-9a-f]{8}-...'` costs 4.5 µs a
-- match, a quarter of a helper call.
create or replace function groundwork.claimed_tenant_from_token() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  claim text := auth.jwt() -> 'app_metadata' ->> 'tenant_id';
begin
  if translate(claim, '0123456789abcdefABCDEF', 'xxxxxxxxxxxxxxxxxxxxxx') = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' then
    return claim::uuid;
  end if;
  return null;
end
$$;

-- The token's claimed active tenant (app_metadata.tenant_id) when it is a well-formed uuid, else
-- null. Not a check by itself: the helpers below also require a membership in it.
-- The data API reads the claim once per request and sets it as request.tenant_id (the nil uuid
-- for none), so that the helpers policies call need not parse the claims JSON on every call.
-- Without that setting (SQL tests that set only request.jwt.claims, another API in front) the
-- claims are read. SQL so that it is inlined into the helpers' queries; no SET clause for that
-- reason (it names only qualified objects).
create or replace function groundwork.claimed_tenant_id() returns uuid
language sql stable
as $$
  select nullif(coalesce(
    nullif(current_setting('request.tenant_id', true), '')::uuid,
    groundwork.claimed_tenant_from_token()
  ), '00000000-0000-0000-0000-000000000000')
$$;

-- The caller's role in `tenant` (memberships.role), or null: the one membership lookup behind the
-- helpers below. SECURITY DEFINER so that it does not go through the memberships policies.
create or replace function groundwork.role_in(tenant uuid) returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  result text;
begin
  select m.role into result
  from groundwork.memberships m
  where m.user_id = auth.uid() and m.tenant_id = role_in.tenant;
  return result;
end
$$;

-- The caller's role in the claimed tenant (memberships.role), or null.
-- A membership lookup costs PostgreSQL more than the rest of a primary-key read, so the data API
-- does not make one per request: it keeps the roles of recent callers in memory, drops them when
-- the triggers below say a membership changed, and passes the role it checked for this request as
-- request.tenant_role ('' for none) with request.membership_checked = 'on'
-- (src/db/tenant-scope.ts). Without those settings (SQL tests that set only request.jwt.claims,
-- another API in front) the membership is looked up. SQL with qualified names and no SET clause,
-- so that PostgreSQL inlines it into the policies that call it.
create or replace function groundwork.active_role() returns text
language sql stable
as $$
  select case when pg_catalog.current_setting('request.membership_checked', true) = 'on'
              then nullif(pg_catalog.current_setting('request.tenant_role', true), '')
              else groundwork.role_in(groundwork.claimed_tenant_id()) end
$$;

-- The caller's active tenant: the token's app_metadata.tenant_id while the caller is still a
-- member of it, else null (so `tenant_id = null` matches nothing). Write
-- `(select groundwork.active_tenant_id())` in policies so that it runs once per statement.
create or replace function groundwork.active_tenant_id() returns uuid
language sql stable
as $$
  select case when groundwork.active_role() is not null then groundwork.claimed_tenant_id() end
$$;

-- The active tenant if the caller's role in it is one of `roles`: a tenant check and a role
-- check in one, for policies written by hand:
-- `tenant_id = (select groundwork.active_tenant_for('{admin,editor}'))`. Otherwise the nil uuid,
-- which no tenant has (groundwork.tenants refuses it), rather than null: `tenant_id = null` is
-- unknown, not false, so PostgreSQL would go on evaluating the rest of an AND.
create or replace function groundwork.active_tenant_for(roles text[]) returns uuid
language sql stable
as $$
  select case when groundwork.active_role() = any (active_tenant_for.roles) then groundwork.claimed_tenant_id()
              else '00000000-0000-0000-0000-000000000000'::uuid end
$$;

-- Every tenant the caller belongs to, active or not. Use as `tenant_id = any ((select groundwork.user_tenant_ids())::uuid[])`.
create or replace function groundwork.user_tenant_ids() returns uuid[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  result uuid[];
begin
  select coalesce(array_agg(m.tenant_id order by m.tenant_id), '{}') into result
  from groundwork.memberships m
  where m.user_id = auth.uid();
  return result;
end
$$;

-- Whether the caller has `role` in `tenant` (default: the active tenant).
create or replace function groundwork.has_role(role text, tenant uuid default null) returns boolean
language sql stable
as $$
  select coalesce(case when has_role.tenant is null or has_role.tenant = groundwork.claimed_tenant_id()
                       then groundwork.active_role() = has_role.role
                       else groundwork.role_in(has_role.tenant) = has_role.role end, false)
$$;

-- Whether the caller has one of `roles` in `tenant` (default: the active tenant).
create or replace function groundwork.has_any_role(roles text[], tenant uuid default null) returns boolean
language sql stable
as $$
  select coalesce(case when has_any_role.tenant is null or has_any_role.tenant = groundwork.claimed_tenant_id()
                       then groundwork.active_role() = any (has_any_role.roles)
                       else groundwork.role_in(has_any_role.tenant) = any (has_any_role.roles) end, false)
$$;

-- Whether the caller is a member of `tenant`, whatever the role and the active tenant.
create or replace function groundwork.is_member(tenant uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (
    select from groundwork.memberships m where m.user_id = auth.uid() and m.tenant_id = is_member.tenant
  );
end
$$;

-- Own-row check for an owner column that holds the auth user id: `groundwork.is_self(user_id)`.
create or replace function groundwork.is_self(owner uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select owner is not null and owner = auth.uid()
$$;

revoke all on function groundwork.claimed_tenant_id(), groundwork.active_tenant_id(), groundwork.active_tenant_for(text[]),
  groundwork.active_role(), groundwork.role_in(uuid),
  groundwork.user_tenant_ids(), groundwork.has_role(text, uuid), groundwork.has_any_role(text[], uuid),
  groundwork.is_member(uuid), groundwork.is_self(uuid), groundwork.claimed_tenant_from_token() from public;
grant execute on function groundwork.claimed_tenant_id(), groundwork.active_tenant_id(), groundwork.active_tenant_for(text[]),
  groundwork.active_role(), groundwork.role_in(uuid),
  groundwork.user_tenant_ids(), groundwork.has_role(text, uuid), groundwork.has_any_role(text[], uuid),
  groundwork.is_member(uuid), groundwork.is_self(uuid), groundwork.claimed_tenant_from_token() to anon, authenticated, service_role;

drop policy if exists groundwork_members_read on groundwork.tenants;
create policy groundwork_members_read on groundwork.tenants
  for select to authenticated
  using (id = any ((select groundwork.user_tenant_ids())::uuid[]));

drop policy if exists groundwork_own_read on groundwork.memberships;
create policy groundwork_own_read on groundwork.memberships
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists groundwork_auth_admin_read on groundwork.memberships;
create policy groundwork_auth_admin_read on groundwork.memberships
  for select to supabase_auth_admin
  using (true);

-- Tells the data API's processes (`LISTEN groundwork_scope`) whose memberships or owned rows
-- changed, so that they drop what they keep in memory for that user at once (src/db/tenant-scope.ts).
-- The payload is the user id (from the column named by the trigger's argument), or `*` for
-- everyone: a TRUNCATE, or a statement-level trigger such as the one on the declarations. Enabled
-- ALWAYS, so that it also fires in replication mode (session_replication_role = replica).
create or replace function groundwork.notify_scope_changed() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  user_column text := tg_argv[0];
begin
  if tg_level = 'STATEMENT' then
    perform pg_notify('groundwork_scope', '*');
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') and to_jsonb(old) ->> user_column is not null then
    perform pg_notify('groundwork_scope', to_jsonb(old) ->> user_column);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and to_jsonb(new) ->> user_column is not null then
    perform pg_notify('groundwork_scope', to_jsonb(new) ->> user_column);
  end if;
  return null;
end
$$;
revoke all on function groundwork.notify_scope_changed() from public;

create or replace trigger groundwork_scope_changed
  after insert or update or delete on groundwork.memberships
  for each row execute function groundwork.notify_scope_changed('user_id');
create or replace trigger groundwork_scope_truncated
  after truncate on groundwork.memberships
  for each statement execute function groundwork.notify_scope_changed();
alter table groundwork.memberships enable always trigger groundwork_scope_changed;
alter table groundwork.memberships enable always trigger groundwork_scope_truncated;

-- The custom access token hook (`[auth.hook.custom_access_token] uri =
-- "pg-functions://postgres/groundwork/access_token_hook"`): on every sign-in and refresh, puts the
-- active tenant (the membership marked active, else the oldest) and the role in it into
-- app_metadata. Whatever tenant_id/tenant_role app_metadata held before is replaced or removed,
-- so only memberships decide them.
create or replace function groundwork.access_token_hook(event jsonb) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}');
  app jsonb := coalesce(event -> 'claims' -> 'app_metadata', '{}') - 'tenant_id' - 'tenant_role';
  chosen record;
begin
  select m.tenant_id, m.role into chosen
  from groundwork.memberships m
  where m.user_id = (event ->> 'user_id')::uuid
  order by m.is_active desc, m.created_at, m.tenant_id
  limit 1;
  if found then
    app := app || jsonb_build_object('tenant_id', chosen.tenant_id, 'tenant_role', chosen.role);
  end if;
  return jsonb_build_object('claims', jsonb_set(claims, '{app_metadata}', app));
end
$$;
revoke all on function groundwork.access_token_hook(jsonb) from public, anon, authenticated, service_role;
grant execute on function groundwork.access_token_hook(jsonb) to supabase_auth_admin;

-- Makes `target` the caller's active tenant, refusing (42501) a tenant the caller is not a member
-- of. The next token (supabase.auth.refreshSession()) carries it; until then the old token keeps
-- the old tenant. Apps expose it through a SECURITY INVOKER wrapper in an exposed schema.
create or replace function groundwork.switch_tenant(target uuid) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  member_role text;
begin
  if caller is null then
    raise exception 'switching tenants needs a signed-in user' using errcode = '42501';
  end if;
  select m.role into member_role from groundwork.memberships m where m.user_id = caller and m.tenant_id = target;
  if not found then
    raise exception 'not a member of tenant %', target
      using errcode = '42501', hint = 'A user can only switch to a tenant they are a member of.';
  end if;
  -- Two statements: the one-active-per-user unique index is checked row by row.
  update groundwork.memberships set is_active = false where user_id = caller and is_active and tenant_id <> target;
  update groundwork.memberships set is_active = true where user_id = caller and tenant_id = target;
  return jsonb_build_object('tenant_id', target, 'tenant_role', member_role);
end
$$;
revoke all on function groundwork.switch_tenant(uuid) from public, anon;
grant execute on function groundwork.switch_tenant(uuid) to authenticated;

-- The caller's tenants with their role and which one is active (for a tenant switcher).
create or replace function groundwork.my_tenants()
returns table (tenant_id uuid, name text, slug text, role text, active boolean)
language sql stable security definer
set search_path = ''
as $$
  select t.id, t.name, t.slug, m.role, m.is_active
  from groundwork.memberships m
  join groundwork.tenants t on t.id = m.tenant_id
  where m.user_id = (select auth.uid())
  order by t.name, t.id
$$;
revoke all on function groundwork.my_tenants() from public, anon;
grant execute on function groundwork.my_tenants() to authenticated;
