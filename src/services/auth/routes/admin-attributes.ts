import type { AdminUserAttributes } from "../admin-users.js";
import { booleanParam, objectParam, optionalStringParam, type Params, stringParam } from "../params.js";

/** Reads GoTrue's `AdminUserParams` from a request body. */
export function adminAttributes(params: Params): AdminUserAttributes {
  return {
    id: stringParam(params, "id"),
    aud: stringParam(params, "aud"),
    role: stringParam(params, "role"),
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
