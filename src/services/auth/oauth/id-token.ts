import { createHash } from "node:crypto";
import type { TokenResponse } from "../access-token.js";
import { AuthError, authError } from "../errors.js";
import { beforeUserCreated, externalUserDraft } from "../hooks/before-user-created.js";
import { type Params, stringParam } from "../params.js";
import { issueSession } from "../sessions.js";
import { signInExternalIdentity } from "../sql/oauth-users.js";
import { transaction } from "../sql/queryable.js";
import { findUserById } from "../sql/users.js";
import type { AuthRuntime, ClientInfo } from "../types.js";
import { isBanned } from "../users.js";
import { configuredProvider } from "./flow.js";
import { verifyIdToken } from "./provider-client.js";
import { identityFromClaims, ProviderError, primaryEmail } from "./provider-identity.js";

/**
 * `POST /token?grant_type=id_token` (`signInWithIdToken`, mobile and one-tap sign-in): an ID
 * token a configured provider issued to this project's client id, verified against the
 * provider's keys. As in GoTrue, the token's `nonce` must be the SHA-256 (hex) of the `nonce`
 * sent, and both must be present or both absent (unless `skip_nonce_check`).
 */
export async function signInWithIdToken(
  runtime: AuthRuntime,
  params: Params,
  aud: string,
  client: ClientInfo,
): Promise<TokenResponse> {
  const name = stringParam(params, "provider");
  const idToken = stringParam(params, "id_token");
  const nonce = stringParam(params, "nonce");
  const accessToken = stringParam(params, "access_token");
  if (name === "") throw authError("validation_failed", "provider or client_id and issuer required");
  if (idToken === "") throw authError("validation_failed", "id_token required");
  const provider = configuredProvider(runtime, name.toLowerCase());
  if (!provider) throw authError("validation_failed", `Provider ${name} is not enabled`);
  let payload: Record<string, unknown>;
  try {
    payload = await verifyIdToken(provider, idToken);
  } catch (error) {
    if (error instanceof ProviderError)
      throw authError("validation_failed", `Bad ID token: ${error.message}`);
    throw error;
  }
  const tokenNonce = typeof payload.nonce === "string" ? payload.nonce : "";
  if (!provider.skipNonceCheck) {
    if ((nonce === "") !== (tokenNonce === "")) {
      throw authError(
        "validation_failed",
        "Passed nonce and nonce in id_token should either both exist or not.",
      );
    }
    if (nonce !== "" && createHash("sha256").update(nonce).digest("hex") !== tokenNonce) {
      throw authError("validation_failed", "Nonces mismatch");
    }
  }
  if (typeof payload.sub !== "string" || payload.sub === "")
    throw authError("validation_failed", "ID token has no subject");
  const identity = identityFromClaims(provider.issuer, payload, accessToken, null);
  const primary = primaryEmail(identity);
  return transaction(runtime.db.admin, async (tx) => {
    const external = {
      provider: provider.name,
      providerId: identity.sub,
      email: primary?.address ?? null,
      emailVerified: primary?.verified ?? false,
      linkEmails: identity.emails.filter((email) => email.verified).map((email) => email.address),
      data: identity.claims,
    };
    const found = await signInExternalIdentity(tx, external, aud, {
      signupAllowed: runtime.config.auth.enableSignup,
      unverifiedAllowed: runtime.autoconfirm,
      beforeCreate: (id) => beforeUserCreated(runtime, externalUserDraft(id, aud, external), client.ip, tx),
    });
    if (found === "email_taken") throw authError("email_exists");
    if (found === "signup_disabled") throw authError("signup_disabled");
    if (found === "needs_verification")
      throw authError("validation_failed", `Unverified email with ${provider.name}`);
    if (found === "multiple_accounts")
      throw authError("validation_failed", "Multiple accounts with the same email address detected");
    const user = await findUserById(tx, found.userId);
    if (!user) throw authError("user_not_found");
    if (isBanned(user)) throw new AuthError(400, "user_banned", "User is banned");
    return issueSession(runtime, tx, user, "oauth", client);
  });
}
