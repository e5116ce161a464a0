import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/**
 * `[auth.sms]` as the Supabase CLI writes it. Phone sign-in needs no SMS provider here: codes go
 * to the `[auth.hook.send_sms]` function, and numbers listed in `test_otp` get their fixed code
 * without any message.
 */
export interface SmsConfig {
  /** `enable_signup`: phone sign-up and sign-in are served (GoTrue's `EXTERNAL_PHONE_ENABLED`). */
  readonly enableSignup: boolean;
  /** `enable_confirmations`: a new phone user confirms a code before signing in. */
  readonly enableConfirmations: boolean;
  /** Seconds before another code may be sent to the same user (`max_frequency`, `"5s"`). */
  readonly maxFrequency: number;
  /** Digits of a code, and seconds it stays valid: what the Supabase CLI gives GoTrue (6, 6000). */
  readonly otpLength: number;
  readonly otpExpiry: number;
  /** `[auth.sms.test_otp]`: phone number (digits, no `+`) -> its fixed code. */
  readonly testOtp: Readonly<Record<string, string>>;
  /** `[auth.rate_limit] sms_sent`: codes sent per hour (test codes excepted). */
  readonly smsSent: number;
}

const FILE = "supabase/config.toml";

/** Reads `[auth.sms]`, its `test_otp` table and `[auth.rate_limit] sms_sent`. */
export function readSms(auth: TableReader): SmsConfig {
  const sms = auth.section("sms");
  const testOtp: Record<string, string> = {};
  const table = sms.section("test_otp");
  for (const number of table.keys()) {
    const phone = number.replace(/^\+/, "").replaceAll(" ", "");
    const code = table.string(number, "");
    if (!/^[1-9]\d{1,14}$/.test(phone)) {
      throw new ConfigError(
        FILE,
        `auth.sms.test_otp."${number}"`,
        "an E.164 phone number as the key",
        number,
      );
    }
    if (!/^\d{4,10}$/.test(code)) {
      throw new ConfigError(
        FILE,
        `auth.sms.test_otp."${number}"`,
        "a code of 4 to 10 digits",
        JSON.stringify(code),
      );
    }
    testOtp[phone] = code;
  }
  return {
    enableSignup: sms.boolean("enable_signup", false),
    enableConfirmations: sms.boolean("enable_confirmations", false),
    maxFrequency: seconds(sms.string("max_frequency", "5s")),
    otpLength: 6,
    otpExpiry: 6000,
    testOtp,
    smsSent: auth.section("rate_limit").integer("sms_sent", 30, { min: 1 }),
  };

  function seconds(text: string): number {
    if (/^\d+$/.test(text)) return Number(text);
    const units: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600 };
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
      throw new ConfigError(
        FILE,
        "auth.sms.max_frequency",
        'a duration such as "5s" or "1m"',
        JSON.stringify(text),
      );
    }
    return parts.reduce((sum, part) => sum + Number(part[1]) * (units[part[2] as string] ?? 0), 0);
  }
}
