-- Delivery settings beyond pg_net (docs/jobs.md): a policy per destination URL prefix gives
-- requests queued through net.http_* (database webhooks included) retries with exponential
-- backoff and jitter, a timeout, token-bucket rate limits per destination and per user (shared
-- by every API process, kept in groundwork.http_rate_buckets), batching and an idempotency key
-- header. Requests that fail for good land in groundwork.http_dead_letters, to list and replay.
create schema if not exists groundwork;

create table if not exists groundwork.http_policies (
  -- The longest prefix of a request's URL that has a policy decides.
  url_prefix text primary key check (url_prefix ~* '^https?://'),
  max_attempts integer not null default 1 check (max_attempts between 1 and 100),
  backoff_base_ms integer not null default 1000 check (backoff_base_ms between 10 and 3600000),
  backoff_max_ms integer not null default 300000 check (backoff_max_ms between 10 and 86400000),
  -- Overrides the request's own timeout_milliseconds when set.
  timeout_ms integer check (timeout_ms between 1 and 900000),
  rate_per_minute integer check (rate_per_minute > 0),
  rate_per_hour integer check (rate_per_hour > 0),
  -- Where the user is in the JSON body, e.g. '{record,user_id}', for the per-user limits.
  user_key text[],
  user_rate_per_minute integer check (user_rate_per_minute > 0),
  user_rate_per_hour integer check (user_rate_per_hour > 0),
  -- Up to this many due POSTs to the same URL go as one request whose body is a JSON array.
  batch_size integer not null default 1 check (batch_size between 1 and 1000),
  -- Sent with the request's stable key (the same on every retry); null sends none.
  idempotency_header text default 'Idempotency-Key' check (idempotency_header ~ '^[A-Za-z0-9-]{1,100}$'),
  updated_at timestamptz not null default now()
);

create table if not exists groundwork.http_rate_buckets (
  key text primary key,
  tokens double precision not null,
  refreshed_at timestamptz not null default clock_timestamp()
);

create table if not exists groundwork.http_dead_letters (
  id bigint generated always as identity primary key,
  request_id bigint not null,
  method text not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null,
  attempts integer not null,
  last_error text,
  last_status integer,
  idempotency_key uuid not null,
  queued_at timestamptz not null,
  failed_at timestamptz not null default now()
);
create index if not exists http_dead_letters_failed_at on groundwork.http_dead_letters (failed_at);

-- Takes one token from every bucket named, or none: returns 0 when taken, else the seconds until
-- all of them have one. Buckets refill continuously (capacity per period); locked in key order
-- so two processes never wait on each other crosswise.
create or replace function groundwork.take_http_tokens(
  keys text[], capacities double precision[], per_second double precision[]
) returns double precision
language plpgsql volatile as $$
declare
  i integer;
  wait double precision := 0;
  now_at timestamptz := clock_timestamp();
  bucket record;
  refilled double precision[] := array[]::double precision[];
begin
  for i in 1..coalesce(array_length(keys, 1), 0) loop
    insert into groundwork.http_rate_buckets (key, tokens, refreshed_at)
    values (keys[i], capacities[i], now_at) on conflict (key) do nothing;
  end loop;
  for bucket in
    select b.key, b.tokens, b.refreshed_at, k.n from groundwork.http_rate_buckets b
      join unnest(keys) with ordinality as k(key, n) on k.key = b.key
     order by b.key for update of b
  loop
    refilled[bucket.n] := least(capacities[bucket.n],
      bucket.tokens + extract(epoch from now_at - bucket.refreshed_at) * per_second[bucket.n]);
    if refilled[bucket.n] < 1 then
      wait := greatest(wait, (1 - refilled[bucket.n]) / per_second[bucket.n]);
    end if;
  end loop;
  for i in 1..coalesce(array_length(keys, 1), 0) loop
    update groundwork.http_rate_buckets
       set tokens = refilled[i] - case when wait = 0 then 1 else 0 end, refreshed_at = now_at
     where key = keys[i];
  end loop;
  return wait;
end
$$;

-- Queues dead letters again as new attempts (the same idempotency key); returns how many.
create or replace function groundwork.replay_http_dead_letters(ids bigint[] default null)
returns integer
language plpgsql volatile as $$
declare
  replayed integer;
begin
  with gone as (
    delete from groundwork.http_dead_letters where ids is null or id = any(ids)
    returning method, url, headers, body, timeout_milliseconds, idempotency_key
  )
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds, idempotency_key)
  select method, url, headers, body, timeout_milliseconds, idempotency_key from gone;
  get diagnostics replayed = row_count;
  perform pg_notify('groundwork_net', '');
  return replayed;
end
$$;

revoke all on groundwork.http_policies, groundwork.http_rate_buckets, groundwork.http_dead_letters from public;
revoke all on function groundwork.take_http_tokens(text[], double precision[], double precision[]) from public;
revoke all on function groundwork.replay_http_dead_letters(bigint[]) from public;

-- Every delivery worker reloads the policies as soon as they change.
create or replace function groundwork.http_policies_changed() returns trigger
language plpgsql as $$
begin
  perform pg_notify('groundwork_net', 'policies');
  return null;
end
$$;
drop trigger if exists http_policies_changed on groundwork.http_policies;
create trigger http_policies_changed after insert or update or delete or truncate on groundwork.http_policies
  for each statement execute function groundwork.http_policies_changed();
