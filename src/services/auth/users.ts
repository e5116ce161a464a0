import type { AuthUser } from "./types.js";

/** `banned_until` in the future (GoTrue's `IsBanned`). */
export function isBanned(user: AuthUser, now = Date.now()): boolean {
  return user.banned_until !== null && user.banned_until.getTime() > now;
}

/** The email is confirmed (GoTrue's `IsConfirmed`). */
export function isConfirmed(user: AuthUser): boolean {
  return user.email_confirmed_at !== null;
}
