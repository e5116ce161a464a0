-- ToolboxAI's agent system: organizations' AI agents, their executions, and the metrics the
-- analytics aggregation computes from them. Organizations are Groundwork tenants
-- (groundwork.tenants); who may do what is declared in ..._tenant_isolation.sql.

create table public.agent_instances (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references groundwork.tenants (id) on delete cascade,
  -- The member who set the agent up.
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  agent_type text not null
    check (agent_type in ('content_generator', 'quiz_builder', 'tutor', 'grader', 'analytics')),
  status text not null default 'idle' check (status in ('idle', 'busy', 'offline', 'error')),
  configuration jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.agent_executions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references groundwork.tenants (id) on delete cascade,
  agent_id uuid not null references public.agent_instances (id) on delete cascade,
  -- The member the task runs for: the one notified when it changes.
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  task_id uuid not null default gen_random_uuid(),
  task_type text not null default 'generic' check (length(task_type) between 1 and 100),
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
  input_data jsonb not null default '{}',
  output_data jsonb,
  error_message text,
  execution_time_ms integer check (execution_time_ms >= 0),
  quality_score numeric(4, 3) check (quality_score between 0 and 1),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz not null default now()
);
-- The aggregation reads the last 30 days per agent from this index alone (an index-only scan:
-- the columns it aggregates are included), and deletes what is older by created_at.
create index agent_executions_agent_created_idx on public.agent_executions (agent_id, created_at)
  include (status, execution_time_ms, quality_score);
create index agent_executions_created_idx on public.agent_executions (created_at);

-- Per-agent figures over the retention window, replaced by every aggregation run.
create table public.agent_metrics (
  agent_id uuid primary key references public.agent_instances (id) on delete cascade,
  organization_id uuid not null references groundwork.tenants (id) on delete cascade,
  executions integer not null,
  completed integer not null,
  failed integer not null,
  -- Completed out of finished (completed + failed), in percent; null before any finished.
  success_rate numeric(5, 2),
  avg_execution_ms numeric(12, 1),
  p95_execution_ms numeric(12, 1),
  avg_quality_score numeric(4, 3),
  last_execution_at timestamptz,
  computed_at timestamptz not null default now()
);

-- One row per aggregation run: the health of the whole system (all organizations).
create table public.system_health (
  id bigint generated always as identity primary key,
  computed_at timestamptz not null default now(),
  -- 0-100: success rate (60%), executions finished within 5 s (20%), agents not in error (20%).
  health_score numeric(5, 2) not null check (health_score between 0 and 100),
  status text not null check (status in ('healthy', 'degraded', 'critical')),
  agents integer not null,
  executions integer not null,
  success_rate numeric(5, 2),
  avg_execution_ms numeric(12, 1)
);
create index system_health_computed_idx on public.system_health (computed_at);

-- Members reach these tables through the data API as `authenticated` only (anonymous callers get
-- nothing), and the figures are written by the aggregation alone.
revoke all on public.agent_instances, public.agent_executions, public.agent_metrics, public.system_health from anon;
revoke insert, update, delete, truncate on public.agent_metrics from authenticated;
revoke all on public.system_health from authenticated;

-- Helpers that policies and triggers use live in `private`, a schema the data API does not expose.
create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create function private.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger agent_instances_updated_at before update on public.agent_instances
  for each row execute function private.touch_updated_at();
create trigger agent_executions_updated_at before update on public.agent_executions
  for each row execute function private.touch_updated_at();
