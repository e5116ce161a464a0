import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * A refresh token in GoTrue's legacy format: 12 characters of lower-case base32 from a CSPRNG
 * (`crypto.SecureAlphanumeric(12)`), 60 bits.
 */
export function newRefreshToken(): string {
  const bytes = randomBytes(12);
  let token = "";
  for (const byte of bytes) token += BASE32[byte & 31];
  return token;
}

/** A numeric one-time code of `length` digits, as emailed. */
export function newOtp(length: number): string {
  let otp = "";
  for (let i = 0; i < length; i++) otp += String(randomInt(10));
  return otp;
}

/**
 * The stored form of an emailed code: hex SHA-224 of address + code (GoTrue's
 * `GenerateTokenHash`). Links carry this hash; `verifyOtp({email, token})` recomputes it.
 */
export function tokenHash(address: string, otp: string): string {
  return createHash("sha224")
    .update(address + otp)
    .digest("hex");
}

/** Compares two secrets without leaking, through timing, how much of them matched. */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    // Compare anyway so a length mismatch costs the same as a content mismatch.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
