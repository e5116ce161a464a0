import type pg from "pg";
import type { TokenResponse } from "./access-token.js";
import { validateEmail } from "./email.js";
import { authError } from "./errors.js";
import { PKCE_PREFIX } from "./pkce.js";
import { secretsEqual, tokenHash } from "./secrets.js";
import { issueSession } from "./sessions.js";
import { auditPayload, insertAudit } from "./sql/audit.js";
import { issueAuthCode } from "./sql/flow-state.js";
import { transaction } from "./sql/queryable.js";
import { confirmEmail, findUserById } from "./sql/users.js";
import {
  applyEmailChange,
  confirmOneEmailChangeToken,
  lockUserByAddress,
  lockUserByTokenHash,
  spendRecoveryToken,
  syncProviders,
  TOKEN_COLUMNS,
  type VerificationType,
} from "./sql/verification.js";
import type { AuthenticationMethod, AuthRuntime, AuthUser, ClientInfo } from "./types.js";
import { isBanned, isConfirmed } from "./users.js";

export interface VerifyInput {
  readonly type: string;
  /** The code from the email (with `email`), or on `GET` the hash from the link. */
  readonly token: string;
  readonly tokenHash: string;
  readonly email: string;
  readonly phone: string;
  readonly redirectTo: string;
}

/** Only one of a secure email change's two links has been followed (GoTrue's message). */
export const SINGLE_CONFIRMATION_ACCEPTED =
  "Confirmation link accepted. Please proceed to confirm link sent to the other email";

export type VerifyResult =
  | { readonly kind: "session"; readonly response: TokenResponse }
  | { readonly kind: "code"; readonly code: string }
  | { readonly kind: "single_confirmation" };

/** The authentication method each link type's PKCE flow was recorded under (GoTrue's names). */
const FLOW_METHODS: Partial<Record<VerificationType, AuthenticationMethod>> = {
  signup: "email/signup",
  invite: "invite",
  recovery: "recovery",
  magiclink: "magiclink",
  email_change: "email_change",
};

/**
 * `GET|POST /verify` (GoTrue's `Verify`): checks an emailed code or link hash, applies what it
 * confirms (sign-up, recovery, email change) and signs the user in. A link of a PKCE flow
 * (`GET` with a `pkce_` token) answers the flow's auth code instead, for the client to exchange.
 */
export async function verifyEmailToken(
  runtime: AuthRuntime,
  method: "GET" | "POST",
  input: VerifyInput,
  aud: string,
  client: ClientInfo,
): Promise<VerifyResult> {
  const lookup = validate(method, input);
  const type = input.type;
  if (!(type in TOKEN_COLUMNS)) {
    throw authError(
      "validation_failed",
      lookup.by === "hash" ? "Invalid email verification type" : "Unsupported verification type",
    );
  }
  const verification = type as VerificationType;
  return transaction(runtime.db.admin, async (tx) => {
    const user = await findVerifiedUser(runtime, tx, verification, lookup, aud);
    if (verification === "email_change" && needsSecondConfirmation(runtime, user)) {
      const column = tokenMatches(user.email_change_token_current ?? "", lookup.hash)
        ? "email_change_token_current"
        : "email_change_token_new";
      await confirmOneEmailChangeToken(tx, user.id, column);
      return { kind: "single_confirmation" };
    }
    await apply(tx, verification, user, lookup.hash, client);
    await syncProviders(tx, user.id);
    if (method === "GET" && lookup.hash.startsWith(PKCE_PREFIX)) {
      const flowMethod = FLOW_METHODS[verification];
      const code = flowMethod ? await issueAuthCode(tx, user.id, flowMethod) : null;
      if (code === null) {
        throw authError(
          "flow_state_not_found",
          "No associated flow state found. No valid flow state found for user.",
          400,
        );
      }
      return { kind: "code", code };
    }
    const reloaded = await findUserById(tx, user.id);
    if (!reloaded) throw authError("user_not_found"); // deleted by an admin meanwhile
    return { kind: "session", response: await issueSession(runtime, tx, reloaded, "otp", client) };
  });
}

type Lookup =
  | { readonly by: "hash"; readonly hash: string }
  | { readonly by: "email"; readonly hash: string; readonly email: string };

function validate(method: "GET" | "POST", input: VerifyInput): Lookup {
  if (input.type === "") throw authError("validation_failed", "Verify requires a verification type");
  if (method === "GET") {
    if (input.token === "") throw authError("validation_failed", "Verify requires a token or a token hash");
    return { by: "hash", hash: input.token };
  }
  if ((input.token === "") === (input.tokenHash === "")) {
    throw authError("validation_failed", "Verify requires either a token or a token hash");
  }
  if (input.tokenHash !== "") {
    if (input.email !== "" || input.phone !== "" || input.redirectTo !== "") {
      throw authError("validation_failed", "Only the token_hash and type should be provided");
    }
    return { by: "hash", hash: input.tokenHash };
  }
  if (input.phone !== "" && input.email === "")
    throw authError("phone_provider_disabled", "Phone logins are disabled");
  if (input.email === "" || input.phone !== "") {
    throw authError(
      "validation_failed",
      "Only an email address or phone number should be provided on verify",
    );
  }
  let email: string;
  try {
    email = validateEmail(input.email);
  } catch {
    throw authError("validation_failed", "Invalid email format", 422);
  }
  return { by: "email", email, hash: tokenHash(email, input.token) };
}

async function findVerifiedUser(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  type: VerificationType,
  lookup: Lookup,
  aud: string,
): Promise<AuthUser> {
  const invalid =
    lookup.by === "hash"
      ? authError("otp_expired", "Email link is invalid or has expired")
      : authError("otp_expired", "Token has expired or is invalid");
  const user =
    lookup.by === "hash"
      ? await lockUserByTokenHash(tx, type, lookup.hash)
      : await lockUserByAddress(tx, type, lookup.email, aud);
  if (!user) throw invalid;
  if (isBanned(user)) throw authError("user_banned", "User is banned", 403);
  const matched = TOKEN_COLUMNS[type].find((column) => {
    const stored = user[column];
    return stored !== null && stored !== "" && tokenMatches(stored, lookup.hash);
  });
  if (!matched) throw invalid;
  const sentAt =
    matched === "recovery_token"
      ? user.recovery_sent_at
      : matched === "confirmation_token"
        ? user.confirmation_sent_at
        : user.email_change_sent_at;
  const expiry = runtime.config.auth.email.otpExpiry * 1000;
  if (sentAt === null || sentAt.getTime() + expiry < Date.now()) throw invalid;
  return user;
}

/** A secure email change (`double_confirm_changes`) waits for both addresses unless autoconfirm is on. */
function needsSecondConfirmation(runtime: AuthRuntime, user: AuthUser): boolean {
  return (
    !runtime.autoconfirm &&
    runtime.config.auth.email.doubleConfirmChanges &&
    (user.email_change_confirm_status ?? 0) === 0 &&
    (user.email ?? "") !== "" &&
    (user.email_change_token_current ?? "") !== ""
  );
}

async function apply(
  tx: pg.ClientBase,
  type: VerificationType,
  user: AuthUser,
  hash: string,
  client: ClientInfo,
): Promise<void> {
  const actor = { id: user.id, name: user.email };
  const recovery =
    type === "recovery" ||
    type === "magiclink" ||
    (type === "email" && tokenMatches(user.recovery_token ?? "", hash));
  if (type === "email_change") {
    await insertAudit(tx, auditPayload("user_modified", actor), client.ip);
    await applyEmailChange(tx, user.id);
    if (!isConfirmed(user)) await confirmEmail(tx, user.id);
    return;
  }
  if (recovery) await spendRecoveryToken(tx, user.id);
  if (!isConfirmed(user)) {
    await insertAudit(tx, auditPayload("user_signedup", actor), client.ip);
    await confirmEmail(tx, user.id);
  } else if (recovery) {
    await insertAudit(tx, auditPayload("login", actor), client.ip);
  }
}

/**
 * GoTrue's `isOtpValid` comparison: the stored hash is the given one, or the given one with the
 * PKCE prefix (a code typed from a PKCE flow's message), compared in constant time.
 */
function tokenMatches(stored: string, hash: string): boolean {
  return secretsEqual(stored, hash) || secretsEqual(stored, `${PKCE_PREFIX}${hash}`);
}
