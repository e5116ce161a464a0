import type { AuthHookName, AuthHooksConfig } from "../../../config/index.js";
import type { AuthMetrics } from "../metrics.js";
import { type HookFunction, parseHookUri } from "./call.js";

/** The configured hook functions by their config.toml names; null where a hook is off. */
export type AuthHooks = { readonly [name in AuthHookName]: HookFunction | null };

/** Parses every enabled `[auth.hook.*]` URI once, when the service starts; each call is timed. */
export function configuredHooks(config: AuthHooksConfig, metrics: AuthMetrics): AuthHooks {
  const entries = Object.entries(config).map(([name, hook]) => [
    name,
    hook
      ? {
          ...parseHookUri(hook.uri),
          observe: (outcome: string, seconds: number) =>
            metrics.hookCalls.observe({ hook: name, outcome }, seconds),
        }
      : null,
  ]);
  return Object.freeze(Object.fromEntries(entries)) as AuthHooks;
}
