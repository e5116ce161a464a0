-- Sign-in and sign-up look users up by address, case-insensitively, whatever their instance_id
-- (users inserted by seed scripts often leave it null, which GoTrue's own index needs). Without
-- this index every password sign-in would scan auth.users.
create index if not exists users_email_lower_idx on auth.users (lower(email)) where is_sso_user = false;
