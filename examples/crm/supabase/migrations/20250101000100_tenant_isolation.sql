-- Tenant isolation and role-based access with Groundwork's tenancy kit (docs/tenancy.md).
--
-- Roles are memberships (groundwork.memberships.role); the access token hook configured in
-- config.toml puts the active tenant and the role in it into app_metadata, and every policy
-- below re-checks the membership. `groundwork test rls` proves these declarations.
--
-- The sales team's roles (seed 001):
--   admin            full access in the tenant
--   sales_director   reads everything in the tenant, writes only the records assigned to them
--   account_manager  reads and writes only the records assigned to them
-- A record is "own" when its sales_id is the caller's row in public.sales.

-- The people table: everyone in the tenant sees the team; only admins add or remove people;
-- each person may edit their own row.
select groundwork.protect('public.sales',
  rights => '{"admin": "tenant",
              "sales_director": {"read": "tenant", "update": "own"},
              "account_manager": {"read": "tenant", "update": "own"}}',
  owner_column => 'user_id');

-- The catalogue has no owner: everyone reads it, admins maintain it.
select groundwork.protect('public.products',
  rights => '{"admin": "tenant", "sales_director": {"read": "tenant"}, "account_manager": {"read": "tenant"}}');

-- The records of the sales team, each assigned to a sales person.
select groundwork.protect(t::regclass,
  rights => '{"admin": "tenant",
              "sales_director": {"read": "tenant", "write": "own"},
              "account_manager": "own"}',
  owner_column => 'sales_id',
  owner_table => 'public.sales')
from unnest(array['public.organizations', 'public.contacts', 'public.opportunities', 'public.activities',
                  'public.tasks', 'public.notes']) as t;

-- The tenants the signed-in user belongs to (for the tenant switcher). security_invoker: the
-- caller's rights and groundwork.tenants' policy apply, so each user sees only their tenants.
create view public.tenants with (security_invoker = on) as
  select id, name, slug, created_at from groundwork.tenants;
revoke insert, update, delete, truncate on public.tenants from anon, authenticated;

-- Switching the active tenant through the data API: supabase.rpc('switch_tenant', {tenant_id}),
-- then supabase.auth.refreshSession() for a token that carries it. Thin SECURITY INVOKER
-- wrappers: the checks live in groundwork.switch_tenant (refuses a tenant the caller is not a
-- member of with 42501, which the API answers with 403).
create function public.switch_tenant(tenant_id uuid) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$ select groundwork.switch_tenant(tenant_id) $$;

create function public.my_tenants()
returns table (tenant_id uuid, name text, slug text, role text, active boolean)
language sql stable security invoker
set search_path = ''
as $$ select * from groundwork.my_tenants() $$;

revoke execute on function public.switch_tenant(uuid), public.my_tenants() from public, anon;
grant execute on function public.switch_tenant(uuid), public.my_tenants() to authenticated;

-- The pipeline of a tenant by stage. SECURITY INVOKER: row-level security decides which
-- opportunities count, so asking about another tenant's id returns nothing.
create function public.pipeline_by_stage(tenant uuid)
returns table (stage public.opportunity_stage, opportunities bigint, amount numeric)
language sql stable security invoker
set search_path = ''
as $$
  select o.stage, count(*), sum(o.amount)
  from public.opportunities o
  where o.tenant_id = tenant
  group by o.stage
  order by o.stage
$$;

-- Realtime (docs/realtime.md): live contact lists subscribe to postgres_changes on contacts, and
-- each subscriber receives only the changes its policies above let it read. An import reports
-- its progress on the private channel `import:<user id>`, which only that user may read.
alter publication supabase_realtime add table public.contacts;

create policy "imports: the user reads their own progress" on realtime.messages
  for select to authenticated
  using ((select realtime.topic()) = 'import:' || (select auth.uid())::text and extension = 'broadcast');
