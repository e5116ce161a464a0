export type { AuthHookConfig, AuthHookName, AuthHooksConfig } from "./auth-hooks-section.js";
export type { SmsConfig } from "./auth-sms-section.js";
export { ConfigError } from "./errors.js";
export { jwtKeysFor, WELL_KNOWN_JWT_SECRET } from "./jwt-keys.js";
export { GROUNDWORK_CONFIG_FILE, loadConfig, loadGuardConfig, SUPABASE_CONFIG_FILE } from "./load.js";
export type * from "./types.js";
