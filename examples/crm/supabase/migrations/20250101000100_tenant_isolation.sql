-- Minimal tenant isolation: a signed-in user sees and writes the rows of the tenants they are a
-- sales person of, and nothing else. Anonymous callers see nothing.

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated;

-- The tenants of the signed-in user. SECURITY DEFINER so the lookup itself is not subject to
-- the sales table's policies (which call this function); search_path pinned against hijacking.
create function private.user_tenant_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select s.tenant_id from public.sales s where s.user_id = (select auth.uid()) and not s.disabled
$$;
revoke all on function private.user_tenant_ids() from public;
grant execute on function private.user_tenant_ids() to authenticated;

alter table public.tenants enable row level security;
create policy "members read their tenants" on public.tenants
  for select to authenticated
  using (id in (select private.user_tenant_ids()));

do $$
declare
  t text;
begin
  foreach t in array array['sales', 'organizations', 'contacts', 'products', 'opportunities', 'activities', 'tasks', 'notes'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format(
      'create policy "tenant members" on public.%I for all to authenticated '
      'using (tenant_id in (select private.user_tenant_ids())) '
      'with check (tenant_id in (select private.user_tenant_ids()))',
      t
    );
  end loop;
end
$$;
