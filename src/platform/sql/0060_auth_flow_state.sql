-- PKCE flows: /verify finds a user's newest flow per authentication method (GoTrue's
-- FindFlowStateByUserID); the code exchange finds a flow by its code (idx_auth_code, 0003).
create index if not exists flow_state_user_method_created_idx
  on auth.flow_state (user_id, authentication_method, created_at desc);
