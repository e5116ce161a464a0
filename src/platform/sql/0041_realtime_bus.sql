-- Batches of realtime messages (broadcasts, presence) between API processes that are too large for
-- a NOTIFY payload (8,000 bytes): the sender writes the batch here and notifies its id. Unlogged:
-- a batch lives for moments, and a crash loses nothing anyone still waits for.
create schema if not exists groundwork;

create unlogged table if not exists groundwork.realtime_bus (
  id bigint generated always as identity primary key,
  body text not null,
  created_at timestamptz not null default now()
);
