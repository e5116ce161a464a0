import type pg from "pg";
import { AuthError, authError, rateLimitError } from "./errors.js";
import { sendSmsThroughHook } from "./hooks/send-sms.js";
import { newOtp, secretsEqual, tokenHash } from "./secrets.js";
import { storePhoneChangeCode, storePhoneCode } from "./sql/phone-users.js";
import type { AuthRuntime, AuthUser } from "./types.js";

/** GoTrue's E.164 check, on the number without `+` and spaces. */
const E164 = /^[1-9][0-9]{1,14}$/;

/** GoTrue's `formatPhoneNumber`: the number without a leading `+` and without spaces. */
export function formatPhone(phone: string): string {
  return phone.replace(/^\+/, "").replaceAll(" ", "");
}

/** GoTrue's `validatePhone`: the formatted number, or 400 when it is not E.164. */
export function validatePhone(phone: string): string {
  const formatted = formatPhone(phone);
  if (!E164.test(formatted)) {
    throw authError("validation_failed", "Invalid phone number format (E.164 required)");
  }
  return formatted;
}

/** Refuses phone requests unless `[auth.sms] enable_signup` serves them (GoTrue's `EXTERNAL_PHONE_ENABLED`). */
export function assertPhoneEnabled(runtime: AuthRuntime, message = "Phone logins are disabled"): void {
  if (!runtime.config.auth.sms.enableSignup) throw authError("phone_provider_disabled", message);
}

/** True when phone sign-ups are confirmed at once (`[auth.sms] enable_confirmations = false`). */
export function smsAutoconfirm(runtime: AuthRuntime): boolean {
  return !runtime.config.auth.sms.enableConfirmations;
}

/**
 * GoTrue's `sendPhoneConfirmation`: a code for `phone`, its hash stored on the user (in `tx`).
 * Refused while the last code is younger than `max_frequency` (429 `over_sms_send_rate_limit`),
 * as test numbers are too. A number of `[auth.sms.test_otp]` gets its fixed code and no message;
 * any other takes one from the `sms_sent` budget (unless sign-ups are autoconfirmed, as in GoTrue)
 * and goes to the send_sms hook. Without the hook no code can be delivered: 422
 * `sms_send_failed`. Returns GoTrue's message id (`test-otp` for test numbers, else empty).
 */
export async function sendPhoneCode(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  phone: string,
  ip: string | null,
  /** `confirmation` (sign-up and sign-in codes) or `phone_change` (a code to the new number). */
  kind: "confirmation" | "phone_change" = "confirmation",
): Promise<string> {
  const { sms } = runtime.config.auth;
  const sentAt = kind === "phone_change" ? user.phone_change_sent_at : user.confirmation_sent_at;
  const waitMs = sentAt ? sentAt.getTime() + sms.maxFrequency * 1000 - Date.now() : 0;
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw rateLimitError(
      "over_sms_send_rate_limit",
      seconds,
      `For security purposes, you can only request this after ${seconds} seconds.`,
    );
  }
  const testCode = testOtp(runtime, phone);
  let otp = testCode ?? "";
  if (testCode === null) {
    if (!smsAutoconfirm(runtime)) {
      const wait = await runtime.limits.smsSent.take("sms", tx);
      if (wait !== null) throw rateLimitError("over_sms_send_rate_limit", wait);
    }
    if (!runtime.hooks.send_sms) {
      throw new AuthError(
        422,
        "sms_send_failed",
        "Error sending confirmation OTP to provider: no SMS delivery is configured ([auth.hook.send_sms])",
      );
    }
    otp = newOtp(sms.otpLength);
    await sendSmsThroughHook(runtime, tx, user, { otp, phone }, ip);
  }
  const store = kind === "phone_change" ? storePhoneChangeCode : storePhoneCode;
  await store(tx, user.id, phone, tokenHash(phone, otp));
  return testCode === null ? "" : "test-otp";
}

/**
 * Whether `code` is the one last sent to `phone` (whose hash is `expected`, sent at `sentAt`),
 * within `otp_expiry`; a test number's fixed code is always right (GoTrue's `verifyUserAndToken`).
 */
export function phoneCodeMatches(
  runtime: AuthRuntime,
  sent: { readonly expected: string; readonly sentAt: Date | null },
  phone: string,
  code: string,
): boolean {
  const testCode = testOtp(runtime, phone);
  if (testCode !== null && secretsEqual(code, testCode)) return true;
  const { expected, sentAt } = sent;
  if (expected === "" || sentAt === null) return false;
  if (sentAt.getTime() + runtime.config.auth.sms.otpExpiry * 1000 < Date.now()) return false;
  return secretsEqual(tokenHash(phone, code), expected);
}

function testOtp(runtime: AuthRuntime, phone: string): string | null {
  const codes = runtime.config.auth.sms.testOtp;
  return Object.hasOwn(codes, phone) ? (codes[phone] as string) : null;
}
