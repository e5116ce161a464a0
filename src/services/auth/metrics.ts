import type { Counter, Histogram } from "prom-client";
import type { Metrics } from "../../metrics/index.js";
import { AuthError } from "./errors.js";

/** The auth service's metrics. */
export interface AuthMetrics {
  /** `POST /token` outcomes by grant: `success`, or the GoTrue error code that refused it. */
  readonly signIns: Counter<"grant_type" | "outcome">;
  /** Requests refused by a rate limiter, by bucket (`sign_in`, `per_email`, `token_refresh`...). */
  readonly rateLimited: Counter<"bucket">;
  /** Seconds each `[auth.hook.*]` call took, by hook and outcome (`success`, `error`, `failure`). */
  readonly hookCalls: Histogram<"hook" | "outcome">;
}

export function authMetrics(metrics: Metrics): AuthMetrics {
  return {
    signIns: metrics.counter(
      "groundwork_auth_sign_ins_total",
      "Sign-ins (POST /auth/v1/token) by grant type and outcome: success, or the error code (invalid_credentials, user_banned...)",
      ["grant_type", "outcome"],
    ),
    rateLimited: metrics.counter(
      "groundwork_auth_rate_limited_total",
      "Auth requests refused with 429 by a rate limiter, by bucket",
      ["bucket"],
    ),
    hookCalls: metrics.histogram(
      "groundwork_auth_hook_seconds",
      "Calls of [auth.hook.*] Postgres functions by hook and outcome: success, error (the function answered an error object) or failure (it raised, timed out or is missing)",
      ["hook", "outcome"],
    ),
  };
}

/** Counts the outcome of `signIn` under `grantType`, and passes it on. */
export async function countSignIn<T>(
  metrics: AuthMetrics,
  grantType: string,
  signIn: () => Promise<T>,
): Promise<T> {
  try {
    const result = await signIn();
    metrics.signIns.inc({ grant_type: grantType, outcome: "success" });
    return result;
  } catch (error) {
    const outcome = error instanceof AuthError ? (error.code ?? "hook_error") : "unexpected_failure";
    metrics.signIns.inc({ grant_type: grantType, outcome });
    throw error;
  }
}
