import type { FastifyReply, FastifyRequest } from "fastify";
import { clientAborted } from "../../request/client-abort.js";

/**
 * GoTrue's error codes with their HTTP status and default message (reference/auth.md §7).
 * Call sites name a code and may pass a more specific message, as GoTrue does.
 */
export const AUTH_ERRORS = {
  bad_json: { status: 400, message: "Could not parse request body as JSON" },
  validation_failed: { status: 400, message: "Validation failed" },
  invalid_credentials: { status: 400, message: "Invalid login credentials" },
  email_not_confirmed: { status: 400, message: "Email not confirmed" },
  phone_not_confirmed: { status: 400, message: "Phone not confirmed" },
  user_already_exists: { status: 422, message: "User already registered" },
  email_exists: { status: 422, message: "A user with this email address has already been registered" },
  phone_exists: { status: 422, message: "A user with this phone number has already been registered" },
  weak_password: { status: 422, message: "Password is too weak" },
  same_password: { status: 422, message: "New password should be different from the old password." },
  signup_disabled: { status: 422, message: "Signups not allowed for this instance" },
  email_provider_disabled: { status: 422, message: "Email logins are disabled" },
  phone_provider_disabled: { status: 422, message: "Phone logins are disabled" },
  anonymous_provider_disabled: { status: 422, message: "Anonymous sign-ins are disabled" },
  user_banned: { status: 400, message: "User is banned" },
  refresh_token_not_found: { status: 400, message: "Invalid Refresh Token: Refresh Token Not Found" },
  refresh_token_already_used: { status: 400, message: "Invalid Refresh Token: Already Used" },
  session_expired: { status: 400, message: "Invalid Refresh Token: Session Expired" },
  session_not_found: { status: 400, message: "Invalid Refresh Token: No Valid Session Found" },
  no_authorization: { status: 401, message: "This endpoint requires a valid Bearer token" },
  bad_jwt: { status: 403, message: "invalid JWT: unable to parse or verify signature" },
  user_not_found: { status: 404, message: "User not found" },
  not_admin: { status: 403, message: "User not allowed" },
  otp_expired: { status: 403, message: "Token has expired or is invalid" },
  over_request_rate_limit: { status: 429, message: "Request rate limit reached" },
  over_email_send_rate_limit: { status: 429, message: "Email rate limit exceeded" },
  over_sms_send_rate_limit: { status: 429, message: "SMS rate limit exceeded" },
  sms_send_failed: { status: 422, message: "Error sending SMS" },
  conflict: { status: 409, message: "Conflict" },
  otp_disabled: { status: 422, message: "Signups not allowed for otp" },
  email_address_invalid: { status: 400, message: "Email address is invalid" },
  reauthentication_needed: { status: 400, message: "Password update requires reauthentication" },
  reauthentication_not_valid: { status: 422, message: "Nonce has expired or is invalid" },
  flow_state_not_found: { status: 404, message: "invalid flow state, no valid flow state found" },
  flow_state_expired: { status: 422, message: "invalid flow state, flow state has expired" },
  bad_code_verifier: { status: 400, message: "code challenge does not match previously saved code verifier" },
  identity_already_exists: { status: 422, message: "Identity is already linked to another user" },
  identity_not_found: { status: 422, message: "Identity doesn't exist" },
  single_identity_not_deletable: {
    status: 422,
    message: "User must have at least 1 identity after unlinking",
  },
  insufficient_aal: { status: 403, message: "AAL2 session is required" },
  too_many_enrolled_mfa_factors: {
    status: 422,
    message: "Maximum number of verified factors reached, unenroll to continue",
  },
  mfa_factor_name_conflict: { status: 422, message: "A factor with this friendly name already exists" },
  mfa_factor_not_found: { status: 404, message: "Factor not found" },
  mfa_ip_address_mismatch: { status: 422, message: "Challenge and verify IP addresses mismatch." },
  mfa_challenge_expired: { status: 422, message: "MFA challenge has expired" },
  mfa_verification_failed: { status: 422, message: "Invalid TOTP code entered" },
  mfa_verification_rejected: {
    status: 403,
    message: "Further MFA verification attempts will be rejected.",
  },
  mfa_totp_enroll_not_enabled: { status: 422, message: "MFA enroll is disabled for TOTP" },
  mfa_totp_verify_not_enabled: { status: 422, message: "MFA verification is disabled for TOTP" },
  mfa_phone_enroll_not_enabled: { status: 422, message: "MFA enroll is disabled for Phone" },
  mfa_phone_verify_not_enabled: { status: 422, message: "MFA verification is disabled for Phone" },
  mfa_verified_factor_exists: {
    status: 422,
    message: "A verified phone factor already exists, unenroll the existing factor to continue",
  },
  mfa_webauthn_enroll_not_enabled: { status: 422, message: "MFA enroll is disabled for WebAuthn" },
  unexpected_failure: {
    status: 500,
    message: "Unexpected failure, please check server logs for more information",
  },
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** An error GoTrue would answer with `HTTPError`: a status, an optional code and a message. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    /** Null for errors GoTrue raises without a code (hook errors); rendered as unknown/unexpected_failure. */
    readonly code: AuthErrorCode | null,
    message: string,
    readonly extra: {
      readonly weakPasswordReasons?: readonly string[];
      readonly retryAfterSeconds?: number;
    } = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "AuthError";
  }
}

/** OAuth-style error (`{error, error_description}`, always 400), used for `refresh_token required`. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OAuthError";
  }
}

/**
 * The error for `code`, with its catalogue status and either the given message or the default.
 *
 * @example throw authError("invalid_credentials");
 */
export function authError(code: AuthErrorCode, message?: string, status?: number): AuthError {
  const entry = AUTH_ERRORS[code];
  return new AuthError(status ?? entry.status, code, message ?? entry.message);
}

/** The weak-password error: 422 with the reasons auth-js turns into `AuthWeakPasswordError`. */
export function weakPasswordError(message: string, reasons: readonly string[]): AuthError {
  return new AuthError(422, "weak_password", message, { weakPasswordReasons: reasons });
}

/**
 * What a request that lost a race with another answers, as if it had come second: a row for a
 * user an admin deleted meanwhile (foreign key to the user), or a user created meanwhile with the
 * same address (unique email or phone). Null for any other error.
 */
function raceLost(error: unknown): AuthError | null {
  const pg = error as { code?: unknown; constraint?: unknown } | null;
  const constraint = typeof pg?.constraint === "string" ? pg.constraint : "";
  if (pg?.code === "23503" && constraint.endsWith("_user_id_fkey")) return authError("user_not_found");
  if (pg?.code === "23505" && constraint.startsWith("users_email")) return authError("email_exists");
  if (pg?.code === "23505" && constraint.startsWith("users_phone")) return authError("phone_exists");
  return null;
}

/** 429 with `Retry-After`. */
export function rateLimitError(
  code: "over_request_rate_limit" | "over_email_send_rate_limit" | "over_sms_send_rate_limit",
  retryAfterSeconds: number,
  message?: string,
): AuthError {
  return new AuthError(429, code, message ?? AUTH_ERRORS[code].message, { retryAfterSeconds });
}

const API_VERSION_HEADER = "x-supabase-api-version";
/** The only dated API version GoTrue knows; requests naming it or a later date get the new body. */
const API_VERSION_2024 = "2024-01-01";

/** The API version to answer with: `2024-01-01` when the request names it or a later date, else null. */
function requestedApiVersion(request: FastifyRequest): string | null {
  const header = request.headers[API_VERSION_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) return null;
  return value >= API_VERSION_2024 ? API_VERSION_2024 : null;
}

/**
 * Renders any error as GoTrue does: the `{code, message}` body with the echoed
 * `X-Supabase-Api-Version` when the client sent version 2024-01-01 or later (auth-js always does,
 * and reads `code` only when the header comes back), the legacy `{code: status, error_code, msg}`
 * body otherwise; `x-sb-error-code` on both. Unknown errors become 500 `unexpected_failure`
 * without a stack trace.
 */
export function sendAuthError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const version = requestedApiVersion(request);
  if (version !== null) reply.header("X-Supabase-Api-Version", version);
  if (error instanceof OAuthError) {
    return reply.code(400).send({ error: error.error, error_description: error.description });
  }
  const known =
    error instanceof AuthError
      ? error
      : (raceLost(error) ?? new AuthError(500, "unexpected_failure", AUTH_ERRORS.unexpected_failure.message));
  if (known.status >= 500) {
    if (clientAborted(request, error)) request.log.debug({ err: error }, "client went away");
    else request.log.error({ err: error }, "auth request failed");
  }
  const code = known.code ?? (known.status === 500 ? "unexpected_failure" : "unknown");
  reply.code(known.status).header("x-sb-error-code", code);
  if (known.extra.retryAfterSeconds !== undefined) {
    reply.header("retry-after", String(Math.max(1, Math.ceil(known.extra.retryAfterSeconds))));
  }
  const weakPassword = known.extra.weakPasswordReasons
    ? { weak_password: { reasons: known.extra.weakPasswordReasons } }
    : {};
  if (version !== null) return reply.send({ code, message: known.message, ...weakPassword });
  return reply.send({
    code: known.status,
    error_code: code,
    msg: known.message,
    ...(known.status >= 500 ? { error_id: request.id } : {}),
    ...weakPassword,
  });
}
