-- MFA: the indexes GoTrue keeps on its factor tables (the tables themselves are in 0003). A
-- user's factors are listed with every User object; names are unique per user when given; the
-- newest challenges are looked up by time; one phone factor per number.
create index if not exists mfa_factors_user_id_idx on auth.mfa_factors (user_id);
create unique index if not exists mfa_factors_user_friendly_name_unique
  on auth.mfa_factors (friendly_name, user_id) where trim(friendly_name) <> '';
create index if not exists mfa_challenge_created_at_idx on auth.mfa_challenges (created_at desc);
create unique index if not exists unique_phone_factor_per_user on auth.mfa_factors (user_id, phone);
create index if not exists mfa_challenges_factor_id_idx on auth.mfa_challenges (factor_id);
create index if not exists sessions_factor_id_idx on auth.sessions (factor_id);
