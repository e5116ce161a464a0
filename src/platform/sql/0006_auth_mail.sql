-- Outgoing auth mail (signup confirmation, password recovery, email change) when no mail
-- server is configured: the auth service stores each message here instead of sending it, so a
-- developer can open the link or read the code (`select * from groundwork.mail_outbox order by
-- id desc`) and the recover -> verify flow works offline. The dashboard reads the same table.
create schema if not exists groundwork;

create table if not exists groundwork.mail_outbox (
  id bigserial primary key,
  created_at timestamptz not null default now(),
  -- signup | recovery | email_change | invite | magiclink
  kind text not null,
  user_id uuid,
  to_address text not null,
  subject text not null,
  html text not null,
  text text not null,
  -- The confirmation link of the message, for tools that want to follow it.
  action_link text,
  -- The one-time code of the message, as `verifyOtp({ email, token, type })` takes it.
  otp text
);
create index if not exists mail_outbox_to_address_idx on groundwork.mail_outbox (to_address, id desc);

comment on table groundwork.mail_outbox is
  'Auth emails kept locally instead of being sent (Groundwork''s default mailer). Contains live links and codes: never expose it through the API.';
