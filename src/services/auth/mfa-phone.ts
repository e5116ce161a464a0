import { randomUUID } from "node:crypto";
import type { TokenResponse } from "./access-token.js";
import { AuthError, authError, rateLimitError } from "./errors.js";
import { sendSmsThroughHook } from "./hooks/send-sms.js";
import {
  assertCanEnroll,
  CHALLENGE_EXPIRY_SECONDS,
  friendlyNameConflict,
  type MfaCaller,
  verifyChallenge,
} from "./mfa.js";
import { validatePhone } from "./phone.js";
import { newOtp, secretsEqual, tokenHash } from "./secrets.js";
import { auditPayload } from "./sql/audit.js";
import { type FactorRow, insertChallenge, insertPhoneFactor } from "./sql/factors.js";
import { transaction } from "./sql/queryable.js";
import type { AuthRuntime } from "./types.js";

/** `POST /factors` answer for a phone factor (GoTrue's `EnrollFactorResponse`). */
export interface EnrolledPhone {
  readonly id: string;
  readonly type: "phone";
  readonly friendly_name: string;
  readonly phone: string;
}

/**
 * Enrols a phone factor (unverified until its first challenge is answered), after the checks
 * every enrolment passes. A verified factor with the same number is 422
 * `mfa_verified_factor_exists`; an unverified one is replaced (GoTrue's `enrollPhoneFactor`).
 */
export async function enrollPhone(
  runtime: AuthRuntime,
  caller: MfaCaller,
  friendlyName: string,
  phoneParam: string,
  ip: string | null,
): Promise<EnrolledPhone> {
  if (phoneParam === "") throw authError("validation_failed", "Phone number required to enroll Phone factor");
  const phone = validatePhone(phoneParam);
  const factors = await assertCanEnroll(runtime, caller, friendlyName);
  const same = factors.filter((factor) => factor.factorType === "phone" && factor.phone === phone);
  if (same.some((factor) => factor.status === "verified")) throw authError("mfa_verified_factor_exists");
  const id = randomUUID();
  const actor = { id: caller.user.id, name: caller.user.email };
  try {
    await transaction(runtime.db.admin, async (tx) => {
      await tx.query("delete from auth.mfa_factors where id = any($1::uuid[]) and status = 'unverified'", [
        same.map((factor) => factor.id),
      ]);
      await insertPhoneFactor(
        tx,
        { id, userId: caller.user.id, friendlyName, phone },
        { payload: auditPayload("factor_in_progress", actor, { factor_id: id }), ip },
      );
    });
  } catch (error) {
    // A racing enrolment with the same name or number: the unique indexes decide.
    if ((error as { code?: string }).code === "23505") {
      if ((error as { constraint?: string }).constraint === "unique_phone_factor_per_user") {
        throw authError("mfa_verified_factor_exists");
      }
      throw friendlyNameConflict(friendlyName);
    }
    throw error;
  }
  // GoTrue echoes the number as it was sent (the factor stores it formatted).
  return { id, type: "phone", friendly_name: friendlyName, phone: phoneParam };
}

/**
 * `POST /factors/{id}/challenge` for a phone factor (GoTrue's `challengePhoneFactor`): a code of
 * `[auth.mfa.phone] otp_length` digits goes to the send_sms hook (`sms_type: "mfa"`), its hash is
 * stored on the challenge, both in one transaction. At most one challenge per factor per
 * `max_frequency` (429 `over_sms_send_rate_limit`); without the hook, 422 `sms_send_failed`.
 */
export async function challengePhone(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  channel: string,
  ip: string,
): Promise<{ id: string; type: string; expires_at: number }> {
  if (channel !== "" && channel !== "sms" && channel !== "whatsapp") {
    throw authError("validation_failed", "Invalid channel, supported values are 'sms' or 'whatsapp'.");
  }
  const phone = factor.phone ?? "";
  const { mfa } = runtime.config.auth;
  const id = randomUUID();
  const actor = { id: caller.user.id, name: caller.user.email };
  const created = await transaction(runtime.db.admin, async (tx) => {
    const { rows } = await tx.query<{ wait: number | null }>(
      `select ceil(extract(epoch from last_challenged_at + make_interval(secs => $2) - clock_timestamp()))::int as wait
       from auth.mfa_factors where id = $1 for update`,
      [factor.id, mfa.phone.maxFrequency],
    );
    const wait = rows[0]?.wait ?? null;
    if (wait !== null && wait > 0) {
      throw rateLimitError(
        "over_sms_send_rate_limit",
        wait,
        `For security purposes, you can only request this after ${wait} seconds.`,
      );
    }
    if (!runtime.hooks.send_sms) {
      throw new AuthError(
        422,
        "sms_send_failed",
        "Error sending MFA OTP: no SMS delivery is configured ([auth.hook.send_sms])",
      );
    }
    const otp = newOtp(mfa.phone.otpLength);
    const when = await insertChallenge(
      tx,
      { id, factorId: factor.id, ip, otpCode: tokenHash(phone, otp) },
      {
        payload: auditPayload("challenge_created", actor, {
          factor_id: factor.id,
          factor_status: factor.status,
        }),
      },
    );
    await sendSmsThroughHook(runtime, tx, caller.user, { otp, phone, sms_type: "mfa" }, ip);
    return when;
  });
  return {
    id,
    type: factor.factorType,
    expires_at: Math.floor(created.getTime() / 1000) + CHALLENGE_EXPIRY_SECONDS,
  };
}

/** `POST /factors/{id}/verify` for a phone factor: the code sent for the challenge (GoTrue's `verifyPhoneFactor`). */
export function verifyPhone(
  runtime: AuthRuntime,
  caller: MfaCaller,
  factor: FactorRow,
  challengeId: string,
  code: string,
  ip: string,
): Promise<TokenResponse> {
  return verifyChallenge(runtime, caller, factor, challengeId, ip, {
    method: "mfa/phone",
    matches: (challenge) =>
      challenge.otpCode !== null && secretsEqual(tokenHash(factor.phone ?? "", code), challenge.otpCode),
    failure: "Invalid MFA Phone code entered",
  });
}
