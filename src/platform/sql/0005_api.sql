-- What the data API and realtime rely on in every Supabase database.

-- Migrations written for Supabase add tables to this publication to stream their changes.
do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- Reload the data API's schema cache after DDL, as Supabase's pgrst_ddl_watch does. Event
-- triggers need a superuser; on a managed database without one, the API reloads after each
-- `groundwork migration up` instead.
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql
as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end
$$;

do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    raise notice 'not a superuser: the schema-cache reload event trigger is not installed';
    return;
  end if;
  if not exists (select from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end execute function extensions.pgrst_ddl_watch();
  end if;
  if not exists (select from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    create event trigger pgrst_drop_watch on sql_drop execute function extensions.pgrst_ddl_watch();
  end if;
end
$$;
