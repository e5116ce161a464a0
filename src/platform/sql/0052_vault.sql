-- Supabase Vault, enabled as on every Supabase project (docs/jobs.md): migrations that
-- `create extension if not exists supabase_vault with schema vault` find it, and cron jobs that
-- read the project URL and keys from vault.decrypted_secrets run as Supabase's docs write them.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'supabase_vault')
     and not exists (select 1 from pg_extension where extname = 'supabase_vault') then
    create schema if not exists vault;
    create extension supabase_vault with schema vault;
  end if;
end
$$;
