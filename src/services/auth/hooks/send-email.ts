import type pg from "pg";
import type { AuthRuntime, AuthUser } from "../types.js";
import { userJson } from "../user-json.js";
import { callHook, decodeOutput, hookMetadata } from "./call.js";

/** What a message would carry, in GoTrue's `email_data` names (its `mailer.EmailData`). */
export interface EmailData {
  /** `signup`, `invite`, `magiclink`, `recovery`, `email_change` or `reauthentication`. */
  readonly email_action_type: string;
  readonly token: string;
  readonly token_hash: string;
  readonly redirect_to: string;
  /** The auth API's external URL (`http://host/auth/v1`), the base of the `/verify` link. */
  readonly site_url: string;
  readonly token_new?: string;
  readonly token_hash_new?: string;
}

/**
 * `[auth.hook.send_email]`: hands a message to the function instead of the mailer (no SMTP, no
 * local catcher), inside the transaction that issued its token, so an `error` from the function
 * undoes the request. Callers check the hook is configured.
 */
export async function sendEmailThroughHook(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  data: EmailData,
): Promise<void> {
  const hook = runtime.hooks.send_email;
  if (!hook) throw new Error("the send_email hook is not configured");
  const output = await callHook(tx, hook, {
    metadata: hookMetadata("send-email", null),
    user: userJson(user),
    email_data: {
      token_new: "",
      token_hash_new: "",
      old_email: "",
      old_phone: "",
      provider: "",
      factor_type: "",
      ...data,
    },
  });
  decodeOutput(output, {});
}
