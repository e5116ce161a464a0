-- pg_cron's SQL API (citusdata/pg_cron), written for Groundwork: cron.schedule / unschedule /
-- alter_job keep jobs in cron.job; the Groundwork API process(es) run each due tick once across
-- all of them (cron._job_state holds the last tick claimed) and record runs in
-- cron.job_run_details. Schedules: five-field cron syntax (with names, ranges, steps and `$` for
-- the last day of the month), @yearly/@monthly/@weekly/@daily/@hourly, and '[1-59] seconds'.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema if not exists cron;

create sequence cron.jobid_seq;
create sequence cron.runid_seq;

create table cron.job (
  jobid bigint primary key default nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default inet_server_port(),
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text
);
alter sequence cron.jobid_seq owned by cron.job.jobid;
create unique index jobname_username_uniq on cron.job (jobname, username);

create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
alter sequence cron.runid_seq owned by cron.job_run_details.runid;
create index job_run_details_jobid_start on cron.job_run_details (jobid, start_time);

-- Groundwork: the last tick of each job claimed by a process, so a tick runs once across N.
create table cron._job_state (
  jobid bigint primary key references cron.job (jobid) on delete cascade,
  last_tick timestamptz not null
);

-- As pg_cron: each user sees and changes only their own jobs.
alter table cron.job enable row level security;
alter table cron.job_run_details enable row level security;
create policy cron_job_policy on cron.job using (username = current_user);
create policy cron_job_run_details_policy on cron.job_run_details using (username = current_user);

-- True when one comma-separated cron field is valid within [low, high] (names already mapped).
create function cron._valid_field(field text, low integer, high integer) returns boolean
language plpgsql immutable strict as $$
declare
  item text;
  parts text[];
  range_low integer;
  range_high integer;
begin
  foreach item in array string_to_array(field, ',') loop
    parts := regexp_match(item, '^(\*|\d{1,2}(?:-\d{1,2})?)(?:/(\d{1,2}))?$');
    if parts is null then
      return false;
    end if;
    if parts[2] is not null and (parts[2]::integer < 1 or parts[2]::integer > high) then
      return false;
    end if;
    if parts[1] <> '*' then
      range_low := split_part(parts[1], '-', 1)::integer;
      range_high := coalesce(nullif(split_part(parts[1], '-', 2), ''), split_part(parts[1], '-', 1))::integer;
      if range_low < low or range_high > high or range_low > range_high then
        return false;
      end if;
    end if;
  end loop;
  return true;
end
$$;

-- Raises pg_cron's "invalid schedule" error unless `schedule` is one the scheduler runs.
create function cron._check_schedule(schedule text) returns void
language plpgsql immutable as $$
declare
  fields text[];
  normalized text := lower(btrim(coalesce(schedule, '')));
  months text[] := array['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'];
  days text[] := array['sun','mon','tue','wed','thu','fri','sat'];
  i integer;
begin
  if normalized ~ '^[1-9][0-9]? seconds?$' and split_part(normalized, ' ', 1)::integer <= 59 then
    return;
  end if;
  if normalized in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly') then
    return;
  end if;
  fields := regexp_split_to_array(normalized, '\s+');
  if length(normalized) <= 200 and array_length(fields, 1) = 5 then
    for i in 1..12 loop
      fields[4] := replace(fields[4], months[i], i::text);
    end loop;
    for i in 1..7 loop
      fields[5] := replace(fields[5], days[i], (i - 1)::text);
    end loop;
    fields[3] := replace(fields[3], '$', '31');
    if cron._valid_field(fields[1], 0, 59) and cron._valid_field(fields[2], 0, 23)
       and cron._valid_field(fields[3], 1, 31) and cron._valid_field(fields[4], 1, 12)
       and cron._valid_field(fields[5], 0, 7) then
      return;
    end if;
  end if;
  raise exception 'invalid schedule: %', left(coalesce(schedule, 'null'), 200)
    using errcode = '22023',
          hint = 'Use cron syntax (minute hour day-of-month month day-of-week), an @daily-style name, or ''N seconds'' with N from 1 to 59.';
end
$$;

create function cron._check_command(command text) returns void
language plpgsql immutable as $$
begin
  if command is null or btrim(command) = '' then
    raise exception 'command must not be empty' using errcode = '22023';
  end if;
  if octet_length(command) > 1048576 then
    raise exception 'command is too long (% bytes, at most 1048576)', octet_length(command) using errcode = '22023';
  end if;
end
$$;

create function cron._changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('groundwork_cron', '');
  return null;
end
$$;
create trigger job_changed after insert or update or delete on cron.job
  for each statement execute function cron._changed();

create function cron.schedule_in_database(
  job_name text, schedule text, command text, database text,
  username text default null, active boolean default true
) returns bigint
language plpgsql volatile as $$
declare
  job_id bigint;
  owner text := coalesce(username, current_user);
begin
  perform cron._check_schedule(schedule);
  perform cron._check_command(command);
  if owner <> current_user and not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'must be superuser to create a job for another role' using errcode = '42501';
  end if;
  if job_name is not null then
    update cron.job j set schedule = schedule_in_database.schedule, command = schedule_in_database.command,
      database = schedule_in_database.database, active = schedule_in_database.active
     where j.jobname = job_name and j.username = owner
    returning j.jobid into job_id;
    if job_id is not null then
      return job_id;
    end if;
  end if;
  insert into cron.job (schedule, command, database, username, active, jobname)
  values (schedule_in_database.schedule, schedule_in_database.command, schedule_in_database.database, owner,
          schedule_in_database.active, job_name)
  returning jobid into job_id;
  return job_id;
end
$$;

create function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql volatile as $$
  select cron.schedule_in_database(job_name, schedule, command, current_database(), null, true)
$$;

create function cron.schedule(schedule text, command text) returns bigint
language sql volatile as $$
  select cron.schedule_in_database(null, schedule, command, current_database(), null, true)
$$;

create function cron.unschedule(job_id bigint) returns boolean
language plpgsql volatile as $$
begin
  delete from cron.job j where j.jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id using errcode = '42704';
  end if;
  return true;
end
$$;

create function cron.unschedule(job_name text) returns boolean
language plpgsql volatile as $$
begin
  delete from cron.job j where j.jobname = job_name and j.username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name using errcode = '42704';
  end if;
  return true;
end
$$;

create function cron.alter_job(
  job_id bigint,
  schedule text default null,
  command text default null,
  database text default null,
  username text default null,
  active boolean default null
) returns void
language plpgsql volatile as $$
begin
  if schedule is not null then
    perform cron._check_schedule(schedule);
  end if;
  if command is not null then
    perform cron._check_command(command);
  end if;
  update cron.job j set
    schedule = coalesce(alter_job.schedule, j.schedule),
    command = coalesce(alter_job.command, j.command),
    database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username),
    active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id;
  if not found then
    raise exception 'Job % does not exist or you don''t own it', job_id using errcode = '42704';
  end if;
end
$$;

-- Marks this as Groundwork's pg_cron, whose jobs the API process(es) run.
create function cron._groundwork_scheduler() returns text language sql immutable as $$ select 'groundwork' $$;

grant usage on schema cron to public;
grant select, delete on cron.job_run_details to public;
grant select on cron.job to public;
