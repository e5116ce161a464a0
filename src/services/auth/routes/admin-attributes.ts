import type { AdminUserAttributes } from "../admin-users.js";
import { authError } from "../errors.js";
import { booleanParam, objectParam, optionalStringParam, type Params, stringParam } from "../params.js";

/** `auth.users.role` and `aud` are varchar(255): longer values are the client's error, not ours. */
const MAX_COLUMN = 255;

/** Reads GoTrue's `AdminUserParams` from a request body. */
export function adminAttributes(params: Params): AdminUserAttributes {
  const aud = stringParam(params, "aud");
  const role = stringParam(params, "role");
  for (const [name, value] of [
    ["aud", aud],
    ["role", role],
  ] as const) {
    if (value.length > MAX_COLUMN) {
      throw authError("validation_failed", `${name} must be at most ${MAX_COLUMN} characters`);
    }
  }
  return {
    id: stringParam(params, "id"),
    aud,
    role,
    email: stringParam(params, "email"),
    phone: stringParam(params, "phone"),
    password: optionalStringParam(params, "password"),
    passwordHash: stringParam(params, "password_hash"),
    emailConfirm: booleanParam(params, "email_confirm"),
    phoneConfirm: booleanParam(params, "phone_confirm"),
    userMetadata: objectParam(params, "user_metadata"),
    appMetadata: objectParam(params, "app_metadata"),
    banDuration: stringParam(params, "ban_duration"),
  };
}
