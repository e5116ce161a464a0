import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/** `[auth.mfa]` as the Supabase CLI writes it (TOTP is the factor type served). */
export interface MfaConfig {
  /** Factors a user may hold at once, verified or not (`max_enrolled_factors`; GoTrue's 10). */
  readonly maxEnrolledFactors: number;
  readonly totp: {
    /** `[auth.mfa.totp] enroll_enabled`. */
    readonly enrollEnabled: boolean;
    /** `[auth.mfa.totp] verify_enabled`. */
    readonly verifyEnabled: boolean;
  };
  /** `[auth.mfa.phone]`: codes by SMS (the send_sms hook); off unless the project turns it on. */
  readonly phone: {
    readonly enrollEnabled: boolean;
    readonly verifyEnabled: boolean;
    /** Digits of a code (`otp_length`, 6). */
    readonly otpLength: number;
    /** Seconds before a factor may be challenged again (`max_frequency`, `"5s"`). */
    readonly maxFrequency: number;
  };
}

/** `[auth.sessions]`: limits on how long a session lives; 0 means no limit. */
export interface SessionsConfig {
  /** Seconds after sign-in at which a session ends, whatever its use (`timebox`). */
  readonly timebox: number;
  /** Seconds without a refresh after which a session ends (`inactivity_timeout`). */
  readonly inactivityTimeout: number;
  /** One session per user: a new sign-in ends the older ones (`single_per_user`). */
  readonly singlePerUser: boolean;
}

/**
 * Reads `[auth.mfa]`. TOTP enrolment and verification are on unless the project turns them off,
 * as in GoTrue and hosted Supabase (the CLI's template writes the switches out explicitly).
 */
export function readMfa(auth: TableReader): MfaConfig {
  const mfa = auth.section("mfa");
  const totp = mfa.section("totp");
  const phone = mfa.section("phone");
  return {
    maxEnrolledFactors: mfa.integer("max_enrolled_factors", 10, { min: 1, max: 100 }),
    totp: {
      enrollEnabled: totp.boolean("enroll_enabled", true),
      verifyEnabled: totp.boolean("verify_enabled", true),
    },
    phone: {
      enrollEnabled: phone.boolean("enroll_enabled", false),
      verifyEnabled: phone.boolean("verify_enabled", false),
      otpLength: phone.integer("otp_length", 6, { min: 4, max: 10 }),
      maxFrequency: phone.has("max_frequency") ? duration(phone, "max_frequency", "auth.mfa.phone") : 5,
    },
  };
}

/** Reads `[auth.sessions]` (Go durations such as `"24h"` or `"8h30m"`, as the CLI writes them). */
export function readSessions(auth: TableReader): SessionsConfig {
  const sessions = auth.section("sessions");
  return {
    timebox: duration(sessions, "timebox", "auth.sessions"),
    inactivityTimeout: duration(sessions, "inactivity_timeout", "auth.sessions"),
    singlePerUser: sessions.boolean("single_per_user", false),
  };
}

const UNITS: Readonly<Record<string, number>> = { ms: 1e-3, s: 1, m: 60, h: 3600 };

function duration(reader: TableReader, name: string, section: string): number {
  if (!reader.has(name)) return 0;
  const text = reader.string(name, "").trim();
  if (text === "" || text === "0") return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
    throw new ConfigError(
      "supabase/config.toml",
      `${section}.${name}`,
      'a duration such as "24h" or "30m"',
      JSON.stringify(text),
    );
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (UNITS[part[2] as string] ?? 0), 0);
}
