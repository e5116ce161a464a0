-- The local mail catcher (docs/mail.md) serves the outbox through Mailpit's API, which keeps a
-- read flag per message: set when a message is opened, or through PUT /api/v1/messages.
alter table groundwork.mail_outbox add column if not exists read boolean not null default false;
