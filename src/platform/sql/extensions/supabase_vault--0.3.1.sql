-- The SQL API of Supabase Vault, as migrations and Supabase's docs use it (scheduling edge
-- functions: project URL and keys stored with vault.create_secret, read back from
-- vault.decrypted_secrets inside a cron job). Supabase encrypts with libsodium under a root key
-- held outside the database; pgsodium is not available here, so the secret is encrypted with
-- pgcrypto (pgp_sym_encrypt, AES-256) under a random key kept in vault.groundwork_key, readable
-- by no API role. A backup of the database holds that key too: keep backups as secret as the
-- secrets. Only postgres and service_role reach the tables, the view and the functions.

create table vault.groundwork_key (
  only_one boolean primary key default true check (only_one),
  key text not null
);
insert into vault.groundwork_key (key)
  values (encode(@extschema:pgcrypto@.gen_random_bytes(32), 'base64'));
revoke all on vault.groundwork_key from public;

create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  -- The ciphertext, base64, as in Supabase's vault.secrets.
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index secrets_name_idx on vault.secrets (name) where name is not null;

create function vault._groundwork_encrypt(plain text) returns text
language sql security definer set search_path = '' as $$
  select encode(@extschema:pgcrypto@.pgp_sym_encrypt(plain, k.key, 'cipher-algo=aes256'), 'base64')
  from vault.groundwork_key k
$$;

create function vault._groundwork_decrypt(cipher text) returns text
language sql security definer set search_path = '' as $$
  select @extschema:pgcrypto@.pgp_sym_decrypt(decode(cipher, 'base64'), k.key)
  from vault.groundwork_key k
$$;

create view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
         vault._groundwork_decrypt(s.secret) as decrypted_secret,
         s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s;

create function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  created uuid;
begin
  insert into vault.secrets (secret, name, description, key_id)
    values (vault._groundwork_encrypt(new_secret), new_name, coalesce(new_description, ''), new_key_id)
    returning id into created;
  return created;
end
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language plpgsql security definer set search_path = '' as $$
begin
  update vault.secrets s set
    secret = coalesce(vault._groundwork_encrypt(new_secret), s.secret),
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    key_id = coalesce(new_key_id, s.key_id),
    updated_at = current_timestamp
  where s.id = secret_id;
end
$$;

revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke all on all functions in schema vault from public;
do $$
declare
  role_name text;
begin
  foreach role_name in array array['postgres', 'service_role'] loop
    if exists (select from pg_roles where rolname = role_name) then
      execute format('grant usage on schema vault to %I', role_name);
      execute format('grant select, delete on vault.secrets, vault.decrypted_secrets to %I', role_name);
      -- The view's function runs with the reader's rights, so its readers may execute it.
      execute format('grant execute on function vault.create_secret(text, text, text, uuid), '
        'vault.update_secret(uuid, text, text, text, uuid), vault._groundwork_decrypt(text) to %I',
        role_name);
    end if;
  end loop;
end
$$;
