import { randomUUID } from "node:crypto";
import * as OTPAuth from "otpauth";
import { signAccessToken, type TokenResponse, tokenResponse } from "./access-token.js";
import { AuthError, authError } from "./errors.js";
import { mfaVerificationAttempt } from "./hooks/verification-attempt.js";
import { newRefreshToken } from "./secrets.js";
import { auditPayload } from "./sql/audit.js";
import {
  type ChallengeRow,
  currentFactors,
  deleteChallenge,
  deleteFactor,
  type FactorRow,
  findChallenge,
  insertChallenge,
  insertTotpFactor,
  sessionLevel,
  upgradeSession,
} from "./sql/factors.js";
import { transaction } from "./sql/queryable.js";
import { findUserById } from "./sql/users.js";
import type { TokenUser } from "./token-auth.js";
import type { AuthRuntime } from "./types.js";

/** GoTrue's defaults: challenges live 300 s, abandoned (unverified) factors 300 s. */
export const CHALLENGE_EXPIRY_SECONDS = 300;
const FACTOR_EXPIRY_SECONDS = 300;
/** GoTrue's TOTP: SHA-1, 6 digits, 30 s steps, one step of clock skew either way, 160-bit secrets. */
const TOTP_PARAMETERS = { algorithm: "SHA1", digits: 6, period: 30 } as const;
const TOTP_WINDOW = 1;
const SECRET_BYTES = 20;

/** The signed-in caller of a factor route: the user and the session the token names. */
export interface MfaCaller extends TokenUser {
  readonly sessionId: string;
}

/** `POST /factors` answer for a TOTP factor (GoTrue's `EnrollFactorResponse`). */
export interface EnrolledTotp {
  readonly id: string;
  readonly type: "totp";
  readonly friendly_name: string;
  readonly totp: { readonly qr_code: string; readonly secret: string; readonly uri: string };
}

/**
 * GoTrue's `validateFactors` before any enrolment: names unique per user, at most
 * `max_enrolled_factors`, and a user who already has a verified factor must be at aal2 to add
 * another. Returns the user's current factors.
 */
export async function assertCanEnroll(
  runtime: AuthRuntime,
  caller: MfaCaller,
  friendlyName: string,
): Promise<FactorRow[]> {
  const sql = runtime.db.admin;
  const factors = await currentFactors(sql, caller.user.id, FACTOR_EXPIRY_SECONDS);
  if (friendlyName !== "" && factors.some((factor) => factor.friendlyName === friendlyName)) {
    throw friendlyNameConflict(friendlyName);
  }
  if (factors.length >= runtime.config.auth.mfa.maxEnrolledFactors) {
    throw authError("too_many_enrolled_mfa_factors");
  }
  const verified = factors.filter((factor) => factor.status === "verified").length;
  if (verified > 0 && (await sessionLevel(sql, caller.sessionId)) !== "aal2") {
    throw authError("insufficient_aal", "AAL2 required to enroll a new factor");
  }
  return factors;
}

/** Two factors of one user with one name (also what the unique index answers to a race). */
export function friendlyNameConflict(friendlyName: string): AuthError {
  return authError(
    "mfa_factor_name_conflict",
    `A factor with the friendly name ${JSON.stringify(friendlyName)} for this user already exists`,
  );
}

/** Enrols a TOTP factor (unverified until its first challenge is answered). */
export async function enrollTotp(
  runtime: AuthRuntime,
  caller: MfaCaller,
  friendlyName: string,
  issuerParam: string,
  ip: string | null,
): Promise<EnrolledTotp> {
  const sql = runtime.db.admin;
  await assertCanEnroll(runtime, caller, friendlyName);
  const totp = new OTPAuth.TOTP({
    ...TOTP_PARAMETERS,
    issuer: issuerParam || siteHost(runtime.config.auth.siteUrl),
    label: caller.user.email || caller.user.phone || caller.user.id,
    secret: new OTPAuth.Secret({ size: SECRET_BYTES }),
  });
  const uri = totp.toString();
  const factorId = randomUUID();
  const secret = totp.secret.base32;
  const actor = { id: caller.user.id, name: caller.user.email };
  try {
    await insertTotpFactor(
      sql,
      { id: factorId, userId: caller.user.id, friendlyName, secret },
      { payload: auditPayload("factor_in_progress", actor, { factor_id: factorId }), ip },
    );
  } catch (error) {
    // Two enrolments with one name racing: the unique index decides, as GoTrue's does.
    if ((error as { code?: string }).code === "23505") throw friendlyNameConflict(friendlyName);
    throw error;
  }
  // Loaded on the first enrolment, not with the server.
  const { default: QRCode } = await import("qrcode");
  const qrCode = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "H" });
  return { id: factorId, type: "totp", friendly_name: friendlyName, totp: { qr_code: qrCode, secret, uri } };
}

/** `POST /factors/{id}/challenge` for TOTP: records the attempt and its client address. */
export async function challengeTotp(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  ip: string,
): Promise<{ id: string; type: string; expires_at: number }> {
  const id = randomUUID();
  const actor = { id: caller.user.id, name: caller.user.email };
  const created = await insertChallenge(
    runtime.db.admin,
    { id, factorId: factor.id, ip },
    {
      payload: auditPayload("challenge_created", actor, {
        factor_id: factor.id,
        factor_status: factor.status,
      }),
    },
  );
  return {
    id,
    type: factor.factorType,
    expires_at: Math.floor(created.getTime() / 1000) + CHALLENGE_EXPIRY_SECONDS,
  };
}

/**
 * `POST /factors/{id}/verify` for TOTP: the code is checked by `otpauth` (constant-time)
 * (GoTrue's `verifyTOTPFactor`); the rest as {@link verifyChallenge}.
 */
export function verifyTotp(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  challengeId: string,
  code: string,
  ip: string,
): Promise<TokenResponse> {
  return verifyChallenge(runtime, caller, factor, challengeId, ip, {
    method: "totp",
    matches: () => codeMatches(factor.secret, code),
    failure: "Invalid TOTP code entered",
  });
}

/**
 * Answers a challenge: it must be this factor's, unanswered, from the same address and fresh;
 * `matches` checks the code. The MFA verification attempt hook hears the outcome (and may reject:
 * every session ends). Success raises the session to aal2 with the factor's amr method and
 * answers with a new session.
 */
export async function verifyChallenge(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  challengeId: string,
  ip: string,
  proof: {
    readonly method: "totp" | "mfa/phone";
    readonly matches: (challenge: ChallengeRow) => boolean;
    /** GoTrue's `mfa_verification_failed` message for this factor type. */
    readonly failure: string;
  },
): Promise<TokenResponse> {
  const sql = runtime.db.admin;
  const challenge = await findChallenge(sql, factor.id, challengeId, CHALLENGE_EXPIRY_SECONDS);
  if (challenge === null) {
    throw new AuthError(422, "mfa_factor_not_found", "MFA factor with the provided challenge ID not found");
  }
  if (challenge.verified || challenge.ip !== ip) throw authError("mfa_ip_address_mismatch");
  if (challenge.expired) {
    await deleteChallenge(sql, challenge.id);
    throw authError(
      "mfa_challenge_expired",
      `MFA challenge ${challenge.id} has expired, verify against another challenge or create a new challenge.`,
    );
  }
  const valid = proof.matches(challenge);
  await mfaVerificationAttempt(
    runtime,
    { userId: caller.user.id, factorId: factor.id, factorType: factor.factorType },
    valid,
    ip,
  );
  if (!valid) throw authError("mfa_verification_failed", proof.failure);
  return transaction(sql, async (tx) => {
    const refreshToken = newRefreshToken();
    const actor = { id: caller.user.id, name: caller.user.email };
    const amr = await upgradeSession(tx, {
      userId: caller.user.id,
      sessionId: caller.sessionId,
      factorId: factor.id,
      challengeId: challenge.id,
      refreshToken,
      auditPayload: auditPayload("verification_attempted", actor, {
        factor_id: factor.id,
        challenge_id: challenge.id,
        factor_type: factor.factorType,
      }),
      ip,
      method: proof.method,
      factorType: factor.factorType,
    });
    const user = await findUserById(tx, caller.user.id);
    if (user === null) throw authError("user_not_found");
    const accessToken = await signAccessToken(runtime, tx, {
      user,
      sessionId: caller.sessionId,
      amr,
      method: proof.method === "totp" ? "totp" : "mfa/phone",
      ip,
    });
    return tokenResponse(runtime, user, accessToken, refreshToken);
  });
}

/** `DELETE /factors/{id}`: a verified factor can only be removed from an aal2 session. */
export async function unenroll(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  ip: string | null,
): Promise<{ id: string }> {
  const sql = runtime.db.admin;
  if (factor.status === "verified" && (await sessionLevel(sql, caller.sessionId)) !== "aal2") {
    throw new AuthError(422, "insufficient_aal", "AAL2 required to unenroll verified factor");
  }
  const actor = { id: caller.user.id, name: caller.user.email };
  await deleteFactor(sql, factor.id, {
    payload: auditPayload("factor_unenrolled", actor, {
      factor_id: factor.id,
      factor_status: factor.status,
      session_id: caller.sessionId,
    }),
    ip,
  });
  return { id: factor.id };
}

/** Whether `code` is the factor's current TOTP (or one step either side). */
function codeMatches(secret: string | null, code: string): boolean {
  if (secret === null || !/^\d{6}$/.test(code)) return false;
  const totp = new OTPAuth.TOTP({ ...TOTP_PARAMETERS, secret: OTPAuth.Secret.fromBase32(secret) });
  return totp.validate({ token: code, window: TOTP_WINDOW }) !== null;
}

/** GoTrue names the issuer after `site_url`'s host when the client gives none. */
function siteHost(siteUrl: string): string {
  try {
    return new URL(siteUrl).host || "Groundwork";
  } catch {
    return "Groundwork";
  }
}
