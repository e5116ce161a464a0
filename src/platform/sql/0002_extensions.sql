-- Extensions live in their own schema, as on Supabase, and are on every role's search_path
-- (set per database in apply.ts), so `uuid_generate_v4()` and `crypt()` work unqualified.
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;
grant execute on all functions in schema extensions to anon, authenticated, service_role;
alter default privileges in schema extensions grant execute on functions to anon, authenticated, service_role;

-- Supabase exposes this schema by default ([api] schemas); it is empty without pg_graphql.
create schema if not exists graphql_public;
grant usage on schema graphql_public to anon, authenticated, service_role;
