-- Every change to tenant data goes on the audit trail (docs/audit.md): who (user, role, tenant),
-- through which request (request id, IP, user agent), and the row before and after.
select groundwork.enable_audit(t::regclass)
from unnest(array[
  'public.organizations', 'public.contacts', 'public.opportunities', 'public.activities',
  'public.tasks', 'public.notes', 'public.products', 'public.sales'
]) as t;

-- The trail through the data API (`supabase.from('audit_log')`). security_invoker: the caller's
-- rights and the audit log's row-level security apply, so a tenant admin reads their tenant's
-- entries, service_role all of them, everyone else none.
create view public.audit_log with (security_invoker = on) as
  select id, ts, op, table_schema, table_name, record_id, old_record_id, pk, record, old_record,
         tenant_id, auth_uid, auth_role, request_id, client_ip, user_agent, claims
  from groundwork.audit_log;
revoke all on public.audit_log from anon, authenticated, service_role;
grant select on public.audit_log to authenticated, service_role;
