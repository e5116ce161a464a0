-- Database webhooks to the edge functions, as Studio writes them (triggers calling
-- supabase_functions.http_request), and how they are delivered (docs/jobs.md).
--
-- The URL and the Authorization header are the local stack's: the API at 127.0.0.1:54321 and
-- the local service role key that every Supabase CLI and Groundwork project shares. On a hosted
-- project, create the same webhooks in Studio (Database > Webhooks) with the project's URL and
-- key; never commit a hosted project's service role key.

-- Uploads into `files` are processed once their bytes and record exist (files_record_upload
-- creates the record in the same transaction).
create trigger "files_process_upload" after insert on storage.objects
  for each row when (new.bucket_id = 'files')
  execute function supabase_functions.http_request(
    'http://127.0.0.1:54321/functions/v1/file-processing', 'POST',
    '{"Content-Type":"application/json","Authorization":"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"}',
    '{}', '10000');

-- A new execution, and every change of an execution's status, notifies the member it runs for.
create trigger "agent_executions_notify_insert" after insert on public.agent_executions
  for each row
  execute function supabase_functions.http_request(
    'http://127.0.0.1:54321/functions/v1/notification-dispatcher', 'POST',
    '{"Content-Type":"application/json","Authorization":"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"}',
    '{}', '5000');

create trigger "agent_executions_notify_status" after update on public.agent_executions
  for each row when (old.status is distinct from new.status)
  execute function supabase_functions.http_request(
    'http://127.0.0.1:54321/functions/v1/notification-dispatcher', 'POST',
    '{"Content-Type":"application/json","Authorization":"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"}',
    '{}', '5000');

-- Delivery: what the notification dispatcher needs, as settings of Groundwork's job engine rather
-- than code in the function: 3 retries with exponential backoff and jitter (4 attempts, from 1 s),
-- batches of up to 10 webhook payloads of one member in one call (the body is then a JSON array), and 60 calls
-- a minute and 1,000 an hour per member (the user is the payload's record.user_id). A call that
-- fails its last attempt is kept as a dead letter (`groundwork jobs dead-letters`).
insert into groundwork.http_policies
  (url_prefix, max_attempts, backoff_base_ms, batch_size, user_key, user_rate_per_minute, user_rate_per_hour)
values
  ('http://127.0.0.1:54321/functions/v1/notification-dispatcher', 4, 1000, 10, '{record,user_id}', 60, 1000),
  ('http://127.0.0.1:54321/functions/v1/file-processing', 4, 1000, 1, null, null, null)
on conflict (url_prefix) do update
  set max_attempts = excluded.max_attempts, backoff_base_ms = excluded.backoff_base_ms,
      batch_size = excluded.batch_size, user_key = excluded.user_key,
      user_rate_per_minute = excluded.user_rate_per_minute, user_rate_per_hour = excluded.user_rate_per_hour;

-- Notifications go to the private Realtime channel `notifications:<user id>`: only that member
-- may join it (Realtime Authorization, docs/realtime.md); the dispatcher sends with the service
-- role.
create policy "notifications: members receive their own" on realtime.messages for select to authenticated
  using ((select realtime.topic()) = 'notifications:' || (select auth.uid())::text);
