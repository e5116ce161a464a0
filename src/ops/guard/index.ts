export { githubWorkflow } from "./github-workflow.js";
export { installPreCommitHook } from "./hooks.js";
export { LOCK_TIMEOUT_RULE, MIGRATION_RULES } from "./migration-rules.js";
export { DEFAULT_GUARD_CONFIG, GUARD_CHECKS, type GuardReport, runGuard } from "./run.js";
export type { Finding } from "./types.js";
