-- Analytics aggregation: every 5 minutes pg_cron calls the analytics-aggregation function, which
-- runs public.aggregate_agent_analytics(): per-agent metrics over the last 30 days, one system
-- health row, and the 30-day cleanup, all in SQL, in one transaction.

-- Removes soft-deleted file records older than the cutoff for good, with their objects and
-- thumbnails. Storage refuses DELETEs from SQL unless storage.allow_delete_query is set, because
-- on Supabase the bytes would stay behind; Groundwork records the bytes of every object row
-- deleted from SQL and its sweep deletes them (docs/storage.md). On a hosted project, remove the
-- objects with the Storage API (storage.from(bucket).remove(paths)) before this runs.
create function private.purge_deleted_files(cutoff timestamptz) returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  purged bigint;
begin
  perform set_config('toolboxai.purge', 'on', true);
  perform set_config('storage.allow_delete_query', 'true', true);
  delete from storage.objects o using public.files f
   where f.deleted_at < cutoff and o.name = f.storage_path and o.bucket_id in (f.bucket_id, 'thumbnails');
  delete from public.files where deleted_at < cutoff;
  get diagnostics purged = row_count;
  perform set_config('toolboxai.purge', 'off', true);
  perform set_config('storage.allow_delete_query', 'false', true);
  return purged;
end
$$;
revoke all on function private.purge_deleted_files(timestamptz) from public, anon, authenticated;

create function public.aggregate_agent_analytics(retention_days integer default 30) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  started timestamptz := clock_timestamp();
  cutoff timestamptz := now() - make_interval(days => retention_days);
  deleted_executions bigint;
  deleted_health bigint;
  purged_files bigint;
  health public.system_health;
  agents_processed bigint;
begin
  if retention_days is null or retention_days < 1 then
    raise exception 'retention_days must be at least 1' using errcode = '22023';
  end if;
  delete from public.agent_executions where created_at < cutoff;
  get diagnostics deleted_executions = row_count;
  delete from public.system_health where computed_at < cutoff;
  get diagnostics deleted_health = row_count;
  purged_files := private.purge_deleted_files(cutoff);

  -- Per agent first, over the executions' covering index; then every agent, with or without any.
  with per_agent as (
    select agent_id,
           count(*) as executions,
           count(*) filter (where status = 'completed') as completed,
           count(*) filter (where status = 'failed') as failed,
           count(*) filter (where status in ('completed', 'failed') and execution_time_ms <= 5000) as fast,
           count(execution_time_ms) as timed,
           avg(execution_time_ms) as avg_ms,
           percentile_cont(0.95) within group (order by execution_time_ms) as p95_ms,
           avg(quality_score) as quality,
           max(created_at) as last_at
      from public.agent_executions
     where created_at >= cutoff
     group by agent_id
  ), figures as (
    select a.id as agent_id, a.organization_id, a.status as agent_status,
           coalesce(p.executions, 0) as executions, coalesce(p.completed, 0) as completed,
           coalesce(p.failed, 0) as failed, coalesce(p.fast, 0) as fast, coalesce(p.timed, 0) as timed,
           p.avg_ms, p.p95_ms, p.quality, p.last_at
      from public.agent_instances a
      left join per_agent p on p.agent_id = a.id
  ), saved as (
    insert into public.agent_metrics as m (agent_id, organization_id, executions, completed, failed, success_rate,
                                           avg_execution_ms, p95_execution_ms, avg_quality_score,
                                           last_execution_at, computed_at)
    select agent_id, organization_id, executions, completed, failed,
           round(100.0 * completed / nullif(completed + failed, 0), 2),
           round(avg_ms, 1), round(p95_ms::numeric, 1), round(quality, 3), last_at, now()
      from figures
    on conflict (agent_id) do update
      set organization_id = excluded.organization_id, executions = excluded.executions,
          completed = excluded.completed, failed = excluded.failed, success_rate = excluded.success_rate,
          avg_execution_ms = excluded.avg_execution_ms, p95_execution_ms = excluded.p95_execution_ms,
          avg_quality_score = excluded.avg_quality_score, last_execution_at = excluded.last_execution_at,
          computed_at = excluded.computed_at
    returning 1
  ), totals as (
    select count(*) as agents, coalesce(sum(executions), 0) as executions,
           sum(completed) as completed, sum(failed) as failed, sum(fast) as fast,
           count(*) filter (where agent_status <> 'error') as agents_ok,
           sum(avg_ms * timed) / nullif(sum(timed), 0) as avg_ms
      from figures
  ), scored as (
    -- Each part counts as perfect when there is nothing to judge it by.
    select *, round(0.6 * coalesce(100.0 * completed / nullif(completed + failed, 0), 100)
                  + 0.2 * coalesce(100.0 * fast / nullif(completed + failed, 0), 100)
                  + 0.2 * coalesce(100.0 * agents_ok / nullif(agents, 0), 100), 2) as score
      from totals
  )
  insert into public.system_health (health_score, status, agents, executions, success_rate, avg_execution_ms)
  select score,
         case when score >= 80 then 'healthy' when score >= 50 then 'degraded' else 'critical' end,
         (select count(*) from saved), executions,
         round(100.0 * completed / nullif(completed + failed, 0), 2), round(avg_ms, 1)
    from scored
  returning * into health;
  agents_processed := health.agents;

  return jsonb_build_object(
    'success', true,
    'agentsProcessed', agents_processed,
    'executionsProcessed', health.executions,
    'systemHealthScore', health.health_score,
    'status', health.status,
    'successRate', health.success_rate,
    'deletedExecutions', deleted_executions,
    'deletedHealthRecords', deleted_health,
    'purgedFiles', purged_files,
    'computedAt', health.computed_at,
    'durationMs', round(extract(epoch from clock_timestamp() - started)::numeric * 1000, 1));
end
$$;
revoke all on function public.aggregate_agent_analytics(integer) from public, anon, authenticated;
grant execute on function public.aggregate_agent_analytics(integer) to service_role;

-- Every 5 minutes, pg_cron calls the function (as Supabase's docs schedule edge functions: pg_cron
-- and pg_net). The URL and key are the local stack's, as in ..._webhooks.sql; on a hosted project
-- keep them in Vault and read them from vault.decrypted_secrets.
create extension if not exists pg_cron with schema pg_catalog;

select cron.schedule('analytics-aggregation', '*/5 * * * *', $$
  select net.http_post(
    url := 'http://127.0.0.1:54321/functions/v1/analytics-aggregation',
    headers := '{"Content-Type": "application/json", "Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"}'::jsonb,
    body := '{"trigger": "cron"}'::jsonb,
    timeout_milliseconds := 30000)
$$);
