import bcrypt from "bcrypt";
import type { AuthConfig } from "../../config/index.js";
import { authError, weakPasswordError } from "./errors.js";

/** bcrypt reads at most 72 bytes; GoTrue refuses longer passwords rather than truncating them. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Hashes a password as GoTrue stores it: bcrypt `$2a$` at the configured cost (10, GoTrue's
 * default). The same format pgcrypto's `crypt(pw, gen_salt('bf'))` writes, so both verify.
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, await bcrypt.genSalt(cost, "a"));
}

/**
 * Compares a password with a stored bcrypt hash in constant time (bcrypt itself). A missing or
 * unparsable hash (e.g. a user created without a password) never matches.
 */
export async function verifyPassword(password: string, encrypted: string | null): Promise<boolean> {
  if (!encrypted || !isBcryptHash(encrypted)) return false;
  return bcrypt.compare(password, encrypted);
}

/** Modular-crypt bcrypt: `$2a$`/`$2b$`/`$2y$`, a two-digit cost, 22 characters of salt, 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** True when `text` is a bcrypt hash this service can verify (admin `password_hash`). */
export function isBcryptHash(text: string): boolean {
  return BCRYPT_HASH.test(text);
}

let dummyHash: { cost: number; hash: Promise<string> } | null = null;

/**
 * Spends the time of one bcrypt comparison when no user matched the email, so a wrong email
 * and a wrong password take as long (GoTrue does not do this; it is a timing leak we close).
 */
export async function spendPasswordCheck(cost: number): Promise<void> {
  if (dummyHash?.cost !== cost) dummyHash = { cost, hash: hashPassword("not-a-password", cost) };
  await bcrypt.compare("a-different-password", await dummyHash.hash);
}

/** `[auth] password_requirements` as the character sets GoTrue's `GOTRUE_PASSWORD_REQUIRED_CHARACTERS` holds. */
const REQUIRED_CHARACTERS: Readonly<Record<string, readonly string[]>> = {
  "": [],
  letters_digits: ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"],
  lower_upper_letters_digits: ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"],
  lower_upper_letters_digits_symbols: [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~",
  ],
};

/** Why a password fails the configured rules (GoTrue's `WeakPasswordError`), or null when it passes. */
export function passwordWeakness(
  password: string,
  config: AuthConfig,
): { message: string; reasons: string[] } | null {
  const reasons: string[] = [];
  const messages: string[] = [];
  // Go measures strings in bytes; so does GoTrue's minimum length.
  if (Buffer.byteLength(password) < config.minimumPasswordLength) {
    reasons.push("length");
    messages.push(`Password should be at least ${config.minimumPasswordLength} characters.`);
  }
  const sets = REQUIRED_CHARACTERS[config.passwordRequirements] ?? [];
  if (sets.some((set) => ![...set].some((character) => password.includes(character)))) {
    reasons.push("characters");
    messages.push(`Password should contain at least one character of each: ${sets.join(", ")}.`);
  }
  return reasons.length === 0 ? null : { message: messages.join(" "), reasons };
}

/**
 * GoTrue's `checkPasswordStrength` for sign-up and password changes: too long is 400
 * `validation_failed`, too weak is 422 `weak_password` with the reasons.
 */
export function assertPasswordStrength(password: string, config: AuthConfig): void {
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw authError("validation_failed", `Password cannot be longer than ${MAX_PASSWORD_BYTES} characters`);
  }
  const weakness = passwordWeakness(password, config);
  if (weakness) throw weakPasswordError(weakness.message, weakness.reasons);
}
