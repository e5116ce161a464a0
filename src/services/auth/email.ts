import { authError } from "./errors.js";

// The pattern of badoux/checkmail's ValidateFormat, which GoTrue uses.
const EMAIL_FORMAT =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * GoTrue's `validateEmail`: required, at most 255 characters, the checkmail format; returns the
 * address lower-cased, which is how GoTrue normalises emails (no trimming, no other folding).
 */
export function validateEmail(email: string): string {
  if (email === "") throw authError("validation_failed", "An email address is required");
  if (email.length > 255) throw authError("validation_failed", "An email address is too long");
  if (!EMAIL_FORMAT.test(email)) {
    throw authError("validation_failed", "Unable to validate email address: invalid format");
  }
  return email.toLowerCase();
}

/** The form GoTrue looks emails up by (`lower(email) = lower($1)`). */
export function normaliseEmail(email: string): string {
  return email.toLowerCase();
}
