-- Organization isolation and ToolboxAI's roles with Groundwork's tenancy kit (docs/tenancy.md).
-- Organizations are tenants; a member's role (admin, teacher, student) is their membership in
-- groundwork.memberships, put into every token by the access token hook (config.toml) and
-- checked again by every policy. `groundwork test rls` proves these declarations.
--
--   admin    everything in their organization
--   teacher  reads everything in their organization; writes its executions, deletes only their
--            own executions and files; sets up their own agents
--   student  their own executions and files; reads the organization's agents

select groundwork.protect('public.agent_instances',
  rights => '{"admin": "tenant", "teacher": {"read": "tenant", "write": "own"}, "student": {"read": "tenant"}}',
  tenant_column => 'organization_id',
  owner_column => 'user_id');

select groundwork.protect('public.agent_executions',
  rights => '{"admin": "tenant",
              "teacher": {"read": "tenant", "write": "tenant", "delete": "own"},
              "student": "own"}',
  tenant_column => 'organization_id',
  owner_column => 'user_id');

-- File records are written by uploads and the file-processing function only (..._files.sql);
-- members read them and delete them (a soft delete: the row stays, marked deleted).
select groundwork.protect('public.files',
  rights => '{"admin": {"read": "tenant", "delete": "tenant"},
              "teacher": {"read": "tenant", "delete": "own"},
              "student": {"read": "own", "delete": "own"}}',
  tenant_column => 'organization_id',
  owner_column => 'user_id');

-- Metrics are written by the aggregation only; staff read their organization's.
select groundwork.protect('public.agent_metrics',
  rights => '{"admin": {"read": "tenant"}, "teacher": {"read": "tenant"}}',
  tenant_column => 'organization_id');

-- Who opened which file: staff see their organization's log, students their own entries.
select groundwork.protect('public.file_access_log',
  rights => '{"admin": {"read": "tenant"}, "teacher": {"read": "tenant"}, "student": {"read": "own"}}',
  tenant_column => 'organization_id',
  owner_column => 'user_id');

-- Soft-deleted file records are gone for every member (a restrictive policy is AND-ed with
-- protect()'s, so it narrows them and never widens them).
create policy "files: hide deleted" on public.files as restrictive for select to authenticated
  using (deleted_at is null);

-- The system's health spans every organization: the service role reads it, no member does.
alter table public.system_health enable row level security;

-- The organizations the signed-in user belongs to (security_invoker: each sees only theirs).
create view public.organizations with (security_invoker = on) as
  select id, name, slug, created_at from groundwork.tenants;
revoke insert, update, delete, truncate on public.organizations from anon, authenticated;

-- Switching the active organization (refresh the session afterwards) and listing memberships.
create function public.switch_organization(organization_id uuid) returns jsonb
language sql volatile security invoker set search_path = ''
as $$ select groundwork.switch_tenant(organization_id) $$;

create function public.my_organizations()
returns table (organization_id uuid, name text, slug text, role text, active boolean)
language sql stable security invoker set search_path = ''
as $$ select * from groundwork.my_tenants() $$;

revoke execute on function public.switch_organization(uuid), public.my_organizations() from public, anon;
grant execute on function public.switch_organization(uuid), public.my_organizations() to authenticated;
