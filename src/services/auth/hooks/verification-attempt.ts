import { authError } from "../errors.js";
import { deleteUserSessions } from "../sql/sessions.js";
import type { AuthRuntime } from "../types.js";
import { callHook, decodeOutput, hookMetadata } from "./call.js";

/** GoTrue's messages when a hook rejects without one of its own. */
const DEFAULT_PASSWORD_REJECTION = "Further password verification attempts will be rejected.";

/**
 * `[auth.hook.password_verification_attempt]`, after a password was checked against an existing
 * user's hash (right or wrong), before anything else is decided (GoTrue's
 * `ResourceOwnerPasswordGrant`). The call commits on its own, so the function can count
 * attempts. `decision: "reject"` ends every session of the user when `should_logout_user` is
 * true and answers 400 `invalid_credentials` with the hook's message. Nothing happens when the
 * hook is off.
 */
export async function passwordVerificationAttempt(
  runtime: AuthRuntime,
  userId: string,
  valid: boolean,
  ip: string | null,
): Promise<void> {
  const hook = runtime.hooks.password_verification_attempt;
  if (!hook) return;
  const output = decodeOutput(
    await callHook(runtime.db.admin, hook, {
      metadata: hookMetadata("password-verification", ip),
      user_id: userId,
      valid,
    }),
    { decision: "string", message: "string", should_logout_user: "boolean" },
  );
  if (output.decision !== "reject") return;
  if (output.should_logout_user === true) await deleteUserSessions(runtime.db.admin, userId, null);
  throw authError("invalid_credentials", nonEmpty(output.message) ?? DEFAULT_PASSWORD_REJECTION);
}

/**
 * `[auth.hook.mfa_verification_attempt]`, after a factor's code was checked (right or wrong)
 * (GoTrue's `verifyTOTPFactor`). The call commits on its own. `decision: "reject"` always ends
 * every session of the user, as in GoTrue, and answers 403 `mfa_verification_rejected`.
 */
export async function mfaVerificationAttempt(
  runtime: AuthRuntime,
  attempt: { readonly userId: string; readonly factorId: string; readonly factorType: string },
  valid: boolean,
  ip: string | null,
): Promise<void> {
  const hook = runtime.hooks.mfa_verification_attempt;
  if (!hook) return;
  const output = decodeOutput(
    await callHook(runtime.db.admin, hook, {
      metadata: hookMetadata("mfa-verification", ip),
      user_id: attempt.userId,
      factor_id: attempt.factorId,
      factor_type: attempt.factorType,
      valid,
    }),
    { decision: "string", message: "string" },
  );
  if (output.decision !== "reject") return;
  await deleteUserSessions(runtime.db.admin, attempt.userId, null);
  throw authError("mfa_verification_rejected", nonEmpty(output.message) ?? undefined);
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}
