-- Token buckets of the auth rate limits, shared by every API process that uses this database
-- (kept in one process's memory, N processes behind a load balancer would allow N times the
-- limit). UNLOGGED: the counts are worthless after a crash and cost no WAL.
create unlogged table if not exists groundwork.rate_limits (
  bucket text not null,
  key text not null,
  tokens double precision not null,
  allowed boolean not null,
  at timestamptz not null,
  primary key (bucket, key)
);
create index if not exists rate_limits_at_idx on groundwork.rate_limits (at);
revoke all on groundwork.rate_limits from public;
