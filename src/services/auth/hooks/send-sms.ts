import type pg from "pg";
import type { AuthRuntime, AuthUser } from "../types.js";
import { userJson } from "../user-json.js";
import { callHook, decodeOutput, hookMetadata } from "./call.js";

/**
 * `[auth.hook.send_sms]`: hands a code to the function, which delivers it (the only delivery
 * Groundwork has: no SMS provider is built in), inside the transaction that stored its hash, so
 * an `error` from the function undoes the request. The event is GoTrue's
 * `{metadata, user, sms: {otp, phone}}`. Callers check the hook is configured.
 */
export async function sendSmsThroughHook(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  sms: { readonly otp: string; readonly phone: string; readonly sms_type?: "mfa" },
  ip: string | null,
): Promise<void> {
  const hook = runtime.hooks.send_sms;
  if (!hook) throw new Error("the send_sms hook is not configured");
  const output = await callHook(tx, hook, {
    metadata: hookMetadata("send-sms", ip),
    user: userJson(user),
    sms,
  });
  decodeOutput(output, {});
}
