-- pgmq's SQL API (tembo-io/pgmq 1.4), written for Groundwork in PL/pgSQL: a queue is a table
-- pgmq.q_<name> (and its archive pgmq.a_<name>); read hides messages for a visibility timeout,
-- claiming them with FOR UPDATE SKIP LOCKED so concurrent readers never get the same message.
-- The extension also creates the pgmq_public wrappers supabase-js calls through
-- `.schema('pgmq_public').rpc(...)`, left outside the extension so a migration may replace them.
\echo Use "CREATE EXTENSION pgmq" to load this file. \quit

create table pgmq.meta (
  queue_name varchar unique not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamptz not null default now()
);

create type pgmq.message_record as (
  msg_id bigint,
  read_ct integer,
  enqueued_at timestamptz,
  vt timestamptz,
  message jsonb
);

create type pgmq.queue_record as (
  queue_name varchar,
  is_partitioned boolean,
  is_unlogged boolean,
  created_at timestamptz
);

create type pgmq.metrics_result as (
  queue_name text,
  queue_length bigint,
  newest_msg_age_sec integer,
  oldest_msg_age_sec integer,
  total_messages bigint,
  scrape_time timestamptz
);

-- The table name for a queue: lower case letters, digits and underscores, as pgmq allows.
create function pgmq.format_table_name(queue_name text, prefix text) returns text
language plpgsql immutable as $$
begin
  if queue_name is null or queue_name = '' then
    raise exception 'queue name must not be empty' using errcode = '22023';
  end if;
  if length(queue_name) > 47 then
    raise exception 'queue name is too long, maximum length is 47 characters' using errcode = '22023';
  end if;
  if queue_name !~ '^[A-Za-z0-9_]+$' then
    raise exception 'queue name "%" may contain only letters, digits and underscores', left(queue_name, 60)
      using errcode = '22023';
  end if;
  return lower(prefix || '_' || queue_name);
end
$$;

-- Raises a clear error for a queue that was never created.
create function pgmq._queue_table(queue_name text, prefix text) returns text
language plpgsql stable as $$
#variable_conflict use_column
declare
  name text := pgmq.format_table_name(queue_name, prefix);
begin
  if not exists (select 1 from pgmq.meta m where m.queue_name = lower($1)) then
    raise exception 'queue "%" does not exist', left(queue_name, 60) using errcode = '42P01';
  end if;
  return name;
end
$$;

create function pgmq._create(queue_name text, unlogged boolean) returns void
language plpgsql volatile as $$
#variable_conflict use_column
declare
  q text := pgmq.format_table_name(queue_name, 'q');
  a text := pgmq.format_table_name(queue_name, 'a');
  role_name text;
begin
  execute format(
    'create %s table if not exists pgmq.%I (
       msg_id bigint primary key generated always as identity,
       read_ct integer not null default 0,
       enqueued_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb)', case when unlogged then 'unlogged' else '' end, q);
  execute format('create index if not exists %I on pgmq.%I (vt asc)', q || '_vt_idx', q);
  execute format(
    'create table if not exists pgmq.%I (
       msg_id bigint primary key,
       read_ct integer not null default 0,
       enqueued_at timestamptz not null default now(),
       archived_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb)', a);
  execute format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, a);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (lower($1), false, $2)
  on conflict (queue_name) do nothing;
  -- As on Supabase: service_role works every queue; grant other roles what they need.
  foreach role_name in array array['service_role'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('grant select, insert, update, delete on pgmq.%I, pgmq.%I to %I', q, a, role_name);
    end if;
  end loop;
end
$$;

create function pgmq.create(queue_name text) returns void
language sql volatile as $$ select pgmq._create(queue_name, false) $$;

create function pgmq.create_non_partitioned(queue_name text) returns void
language sql volatile as $$ select pgmq._create(queue_name, false) $$;

create function pgmq.create_unlogged(queue_name text) returns void
language sql volatile as $$ select pgmq._create(queue_name, true) $$;

create function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql volatile as $$
#variable_conflict use_column
begin
  perform pgmq._queue_table(queue_name, 'q');
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = lower($1);
  return true;
end
$$;

create function pgmq.purge_queue(queue_name text) returns bigint
language plpgsql volatile as $$
declare
  deleted bigint;
begin
  execute format('with gone as (delete from pgmq.%I returning 1) select count(*) from gone',
    pgmq._queue_table(queue_name, 'q')) into deleted;
  return deleted;
end
$$;

create function pgmq.send(queue_name text, msg jsonb, delay timestamptz) returns setof bigint
language plpgsql volatile as $$
begin
  return query execute format('insert into pgmq.%I (vt, message) values ($1, $2) returning msg_id',
    pgmq._queue_table(queue_name, 'q')) using coalesce(delay, clock_timestamp()), msg;
end
$$;

create function pgmq.send(queue_name text, msg jsonb, delay integer default 0) returns setof bigint
language plpgsql volatile as $$
begin
  if delay is null or delay < 0 then
    raise exception 'delay must be zero or more seconds (got %)', delay using errcode = '22023';
  end if;
  return query execute format('insert into pgmq.%I (vt, message) values (clock_timestamp() + make_interval(secs => $1), $2) returning msg_id',
    pgmq._queue_table(queue_name, 'q')) using delay, msg;
end
$$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz) returns setof bigint
language plpgsql volatile as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message) select $1, m from unnest($2::jsonb[]) with ordinality as u(m, n) order by n returning msg_id',
    pgmq._queue_table(queue_name, 'q')) using coalesce(delay, clock_timestamp()), msgs;
end
$$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0) returns setof bigint
language plpgsql volatile as $$
begin
  if delay is null or delay < 0 then
    raise exception 'delay must be zero or more seconds (got %)', delay using errcode = '22023';
  end if;
  return query select * from pgmq.send_batch(queue_name, msgs, clock_timestamp() + make_interval(secs => delay));
end
$$;

create function pgmq.read(queue_name text, vt integer, qty integer) returns setof pgmq.message_record
language plpgsql volatile as $$
begin
  if vt is null or qty is null or qty < 0 then
    raise exception 'vt and qty must be given (qty zero or more)' using errcode = '22023';
  end if;
  return query execute format(
    'with due as (
       select msg_id from pgmq.%1$I where vt <= clock_timestamp() order by msg_id limit $1 for update skip locked)
     update pgmq.%1$I m set vt = clock_timestamp() + make_interval(secs => $2), read_ct = m.read_ct + 1
       from due where m.msg_id = due.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
    pgmq._queue_table(queue_name, 'q')) using qty, vt;
end
$$;

create function pgmq.read_with_poll(
  queue_name text, vt integer, qty integer, max_poll_seconds integer default 5, poll_interval_ms integer default 100
) returns setof pgmq.message_record
language plpgsql volatile as $$
declare
  stop_at timestamptz := clock_timestamp() + make_interval(secs => least(greatest(max_poll_seconds, 0), 60));
  found_any boolean;
begin
  loop
    return query select * from pgmq.read(queue_name, vt, qty);
    get diagnostics found_any = row_count;
    exit when found_any or clock_timestamp() >= stop_at;
    perform pg_sleep(greatest(poll_interval_ms, 10) / 1000.0);
  end loop;
end
$$;

create function pgmq.pop(queue_name text) returns setof pgmq.message_record
language plpgsql volatile as $$
begin
  return query execute format(
    'with due as (
       select msg_id from pgmq.%1$I where vt <= clock_timestamp() order by msg_id limit 1 for update skip locked)
     delete from pgmq.%1$I m using due where m.msg_id = due.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
    pgmq._queue_table(queue_name, 'q'));
end
$$;

create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record
language plpgsql volatile as $$
begin
  return query execute format(
    'update pgmq.%I m set vt = clock_timestamp() + make_interval(secs => $2) where m.msg_id = $1
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
    pgmq._queue_table(queue_name, 'q')) using msg_id, vt;
end
$$;

create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql volatile as $$
begin
  return query execute format('delete from pgmq.%I where msg_id = any($1) returning msg_id',
    pgmq._queue_table(queue_name, 'q')) using msg_ids;
end
$$;

create function pgmq.delete(queue_name text, msg_id bigint) returns boolean
language sql volatile as $$ select exists (select 1 from pgmq.delete(queue_name, array[msg_id])) $$;

create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql volatile as $$
begin
  return query execute format(
    'with gone as (delete from pgmq.%I where msg_id = any($1) returning msg_id, read_ct, enqueued_at, vt, message)
     insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message)
     select msg_id, read_ct, enqueued_at, vt, message from gone returning msg_id',
    pgmq._queue_table(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')) using msg_ids;
end
$$;

create function pgmq.archive(queue_name text, msg_id bigint) returns boolean
language sql volatile as $$ select exists (select 1 from pgmq.archive(queue_name, array[msg_id])) $$;

create function pgmq.list_queues() returns setof pgmq.queue_record
language sql stable as $$
  select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta order by queue_name
$$;

create function pgmq.metrics(queue_name text) returns pgmq.metrics_result
language plpgsql volatile as $$
declare
  result pgmq.metrics_result;
begin
  execute format(
    'select $1::text, count(*), extract(epoch from now() - max(enqueued_at))::integer,
            extract(epoch from now() - min(enqueued_at))::integer,
            coalesce(pg_sequence_last_value(pg_get_serial_sequence(''pgmq.%1$I'', ''msg_id'')), 0),
            now()
       from pgmq.%1$I',
    pgmq._queue_table(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  into result using lower(queue_name);
  return result;
end
$$;

create function pgmq.metrics_all() returns setof pgmq.metrics_result
language sql volatile as $$ select (pgmq.metrics(queue_name)).* from pgmq.meta $$;

-- Supabase's wrappers for the data API (security invoker: the caller's grants decide). Made only
-- when the schema is absent (a migration may have made its own), and left out of the extension.
do $outer$
begin
  if to_regnamespace('pgmq_public') is not null then
    return;
  end if;
  execute $wrappers$
create schema if not exists pgmq_public;

create function pgmq_public.pop(queue_name text) returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
begin return query select * from pgmq.pop(queue_name := queue_name); end $$;

create function pgmq_public.send(queue_name text, message jsonb, sleep_seconds integer default 0)
returns setof bigint language plpgsql set search_path = '' as $$
begin return query select * from pgmq.send(queue_name := queue_name, msg := message, delay := sleep_seconds); end $$;

create function pgmq_public.send_batch(queue_name text, messages jsonb[], sleep_seconds integer default 0)
returns setof bigint language plpgsql set search_path = '' as $$
begin return query select * from pgmq.send_batch(queue_name := queue_name, msgs := messages, delay := sleep_seconds); end $$;

create function pgmq_public.archive(queue_name text, message_id bigint) returns boolean
language plpgsql set search_path = '' as $$
begin return pgmq.archive(queue_name := queue_name, msg_id := message_id); end $$;

create function pgmq_public.delete(queue_name text, message_id bigint) returns boolean
language plpgsql set search_path = '' as $$
begin return pgmq.delete(queue_name := queue_name, msg_id := message_id); end $$;

create function pgmq_public.read(queue_name text, sleep_seconds integer, n integer)
returns setof pgmq.message_record language plpgsql set search_path = '' as $$
begin return query select * from pgmq.read(queue_name := queue_name, vt := sleep_seconds, qty := n); end $$;

alter extension pgmq drop schema pgmq_public;
alter extension pgmq drop function pgmq_public.pop(text);
alter extension pgmq drop function pgmq_public.send(text, jsonb, integer);
alter extension pgmq drop function pgmq_public.send_batch(text, jsonb[], integer);
alter extension pgmq drop function pgmq_public.archive(text, bigint);
alter extension pgmq drop function pgmq_public.delete(text, bigint);
alter extension pgmq drop function pgmq_public.read(text, integer, integer);
  $wrappers$;
end
$outer$;

do $$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('grant usage on schema pgmq, pgmq_public to %I', role_name);
      execute format('grant select on pgmq.meta to %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant insert, update, delete on pgmq.meta to service_role;
  end if;
end
$$;
