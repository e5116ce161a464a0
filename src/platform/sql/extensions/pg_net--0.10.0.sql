-- pg_net's SQL API (supabase/pg_net), written for Groundwork: net.http_get / http_post /
-- http_delete queue a request as a row in the caller's transaction and return its id; the
-- Groundwork API process(es) claim committed rows (FOR UPDATE SKIP LOCKED), send them, and write
-- the outcome to net._http_response, as pg_net's background worker does. Nothing is sent for a
-- transaction that rolls back. Columns after timeout_milliseconds are Groundwork's delivery state.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

create schema if not exists net;

create table net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null,
  -- Groundwork: sends started, when the next may start, and the lease of the process sending it.
  attempts integer not null default 0,
  run_at timestamptz not null default now(),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  idempotency_key uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now()
);
create index http_request_queue_due on net.http_request_queue (run_at, id);

create table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index on net._http_response (created);
create index on net._http_response (id);

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
create type net.http_response as (status_code integer, headers jsonb, body text);
create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);

-- Percent-encodes a string (RFC 3986 unreserved characters stay as they are).
create function net._urlencode_string(string text) returns text
language sql immutable strict as $$
  select coalesce(string_agg(
    case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
         then chr(b) else '%' || upper(lpad(to_hex(b), 2, '0')) end, '' order by i), '')
  from (select convert_to(string, 'UTF8') as bytes) s,
       lateral generate_series(0, length(s.bytes) - 1) as i,
       lateral get_byte(s.bytes, i) as b
$$;

-- The URL with `params` appended as a query string; refuses what no HTTP client could send.
create function net._request_url(url text, params jsonb) returns text
language plpgsql immutable as $$
declare
  query text;
begin
  if url is null then
    raise exception 'url must not be null' using errcode = '22004';
  end if;
  if length(url) > 8192 then
    raise exception 'url is too long (% characters, at most 8192)', length(url) using errcode = '22023';
  end if;
  if url !~* '^https?://[^/?#\s@]+(@[^/?#\s]+)?([/?#][^\s]*)?$' then
    raise exception 'invalid url "%": an absolute http:// or https:// URL is required', left(url, 200)
      using errcode = '22023';
  end if;
  if params is not null and jsonb_typeof(params) <> 'object' then
    raise exception 'params must be a JSON object' using errcode = '22023';
  end if;
  select string_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value), '&' order by key)
    into query from jsonb_each_text(coalesce(params, '{}'::jsonb));
  if query is null then
    return url;
  end if;
  return url || case when position('?' in url) > 0 then '&' else '?' end || query;
end
$$;

-- Queues one request (the common path of http_get / http_post / http_delete).
create function net._enqueue(
  method text, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
language plpgsql volatile as $$
declare
  request_id bigint;
  max_body bigint := coalesce(nullif(current_setting('groundwork.http_max_body_bytes', true), '')::bigint, 10485760);
begin
  if headers is null or jsonb_typeof(headers) <> 'object' then
    raise exception 'headers must be a JSON object' using errcode = '22023';
  end if;
  if timeout_milliseconds is null or timeout_milliseconds < 1 or timeout_milliseconds > 900000 then
    raise exception 'timeout_milliseconds must be between 1 and 900000 (got %)', timeout_milliseconds
      using errcode = '22023';
  end if;
  if body is not null and length(body) > max_body then
    raise exception 'request body is too large (% bytes, at most %)', length(body), max_body
      using errcode = '22023', hint = 'set groundwork.http_max_body_bytes to allow more';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, net._request_url(url, params), headers, body, timeout_milliseconds)
  returning id into request_id;
  -- Delivered at commit only: a rolled-back transaction wakes nobody (and queued nothing).
  perform pg_notify('groundwork_net', '');
  return request_id;
end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql volatile security definer set search_path = pg_catalog, net as $$
  select net._enqueue('GET', url, params, headers, null, timeout_milliseconds)
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql volatile security definer set search_path = pg_catalog, net as $$
begin
  if body is null then
    raise exception 'body must not be null' using errcode = '22004';
  end if;
  if headers is not null and jsonb_typeof(headers) = 'object'
     and not exists (select 1 from jsonb_object_keys(headers) k where lower(k) = 'content-type') then
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  end if;
  return net._enqueue('POST', url, params, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds);
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null
) returns bigint
language sql volatile security definer set search_path = pg_catalog, net as $$
  select net._enqueue('DELETE', url, params, headers,
    case when body is null then null else convert_to(body::text, 'UTF8') end, timeout_milliseconds)
$$;

-- Deprecated in pg_net but still called by older code: the response of a finished request.
create function net.http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language plpgsql volatile as $$
declare
  rec net._http_response;
  waited integer := 0;
begin
  loop
    select * into rec from net._http_response r where r.id = request_id order by r.created desc limit 1;
    exit when rec.id is not null or async or waited >= 600;
    perform pg_sleep(0.05);
    waited := waited + 1;
  end loop;
  if rec.id is null then
    if exists (select 1 from net.http_request_queue q where q.id = request_id) then
      return ('PENDING', 'request is pending processing', null)::net.http_response_result;
    end if;
    return ('ERROR', 'request matching request_id not found', null)::net.http_response_result;
  end if;
  if rec.error_msg is not null then
    return ('ERROR', rec.error_msg, null)::net.http_response_result;
  end if;
  return ('SUCCESS', 'ok', (rec.status_code, rec.headers, rec.content)::net.http_response)::net.http_response_result;
end
$$;

-- pg_net restarts its background worker; Groundwork's delivery lives in the API process.
create function net.worker_restart() returns boolean language sql as $$ select true $$;

-- Marks this as Groundwork's pg_net, whose queue the API process(es) deliver.
create function net._groundwork_delivery() returns text language sql immutable as $$ select 'groundwork' $$;

revoke all on function net.http_get(text, jsonb, jsonb, integer) from public;
revoke all on function net.http_post(text, jsonb, jsonb, jsonb, integer) from public;
revoke all on function net.http_delete(text, jsonb, jsonb, integer, jsonb) from public;
do $$
declare
  role_name text;
begin
  -- As on Supabase: the API roles may queue requests (from their own functions and triggers).
  foreach role_name in array array['postgres', 'anon', 'authenticated', 'service_role', 'supabase_functions_admin'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('grant usage on schema net to %I', role_name);
      execute format('grant execute on function net.http_get(text, jsonb, jsonb, integer) to %I', role_name);
      execute format('grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) to %I', role_name);
      execute format('grant execute on function net.http_delete(text, jsonb, jsonb, integer, jsonb) to %I', role_name);
    end if;
  end loop;
end
$$;
