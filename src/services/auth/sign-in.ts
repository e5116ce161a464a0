import { type TokenResponse, withTokenScope } from "./access-token.js";
import { normaliseEmail } from "./email.js";
import { authError } from "./errors.js";
import { passwordVerificationAttempt } from "./hooks/verification-attempt.js";
import { passwordWeakness, spendPasswordCheck, verifyPassword } from "./password.js";
import { assertPhoneEnabled, formatPhone } from "./phone.js";
import { enforce } from "./rate-limit.js";
import { issueSession } from "./sessions.js";
import { findUserByPhone } from "./sql/phone-users.js";
import { findUserByEmail } from "./sql/users.js";
import type { AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { isBanned, isConfirmed } from "./users.js";

export interface PasswordGrant {
  readonly email: string;
  readonly phone: string;
  readonly password: string;
  readonly aud: string;
}

/**
 * `grant_type=password` (GoTrue's `ResourceOwnerPasswordGrant`). The bcrypt comparison runs
 * outside any transaction; only the session write holds a connection. The password verification
 * attempt hook, when configured, may reject the attempt whatever the password. A password that no longer
 * meets the rules still signs in, with `weak_password` in the answer.
 */
export async function signInWithPassword(
  runtime: AuthRuntime,
  grant: PasswordGrant,
  client: ClientInfo,
): Promise<TokenResponse> {
  const { config } = runtime;
  if (grant.email !== "" && grant.phone !== "") {
    throw authError(
      "validation_failed",
      "Only an email address or phone number should be provided on login.",
    );
  }
  if (grant.email === "" && grant.phone === "")
    throw authError("validation_failed", "missing email or phone");
  let user: AuthUser | null;
  if (grant.email !== "") {
    if (!config.auth.email.enableSignup)
      throw authError("email_provider_disabled", "Email logins are disabled");
    await enforce(runtime.limits.perEmail, `email:${normaliseEmail(grant.email)}`);
    user = await findUserByEmail(runtime.db.admin, grant.email, grant.aud);
  } else {
    assertPhoneEnabled(runtime);
    const phone = formatPhone(grant.phone);
    await enforce(runtime.limits.perEmail, `phone:${phone}`);
    user = await findUserByPhone(runtime.db.admin, phone, grant.aud);
  }
  if (!user) {
    await spendPasswordCheck(config.auth.passwordHashCost);
    throw authError("invalid_credentials");
  }
  if (isBanned(user)) throw authError("user_banned");
  const valid = await verifyPassword(grant.password, user.encrypted_password);
  // As GoTrue: the hook hears of every check against a password the user has, right or wrong.
  if ((user.encrypted_password ?? "") !== "") {
    await passwordVerificationAttempt(runtime, user.id, valid, client.ip);
  }
  if (!valid) throw authError("invalid_credentials");
  if (grant.email !== "" && !isConfirmed(user)) throw authError("email_not_confirmed");
  if (grant.email === "" && !user.phone_confirmed_at) throw authError("phone_not_confirmed");

  const weakness = passwordWeakness(grant.password, config.auth);
  const response = await withTokenScope(runtime, (sql) =>
    issueSession(runtime, sql, user, "password", client),
  );
  return weakness ? { ...response, weak_password: weakness } : response;
}
