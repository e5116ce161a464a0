import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import { rateLimitError } from "./errors.js";
import { sendEmailThroughHook } from "./hooks/send-email.js";
import { renderMail, templateFor } from "./mail-templates.js";
import { PKCE_PREFIX, type PkceChallenge } from "./pkce.js";
import { newOtp, tokenHash } from "./secrets.js";
import { insertFlowState } from "./sql/flow-state.js";
import type { AuthRuntime, AuthUser } from "./types.js";

/** Where a message's link leads: the API's external URL and the app's `redirect_to`. */
export interface LinkTarget {
  /** `http(s)://host/auth/v1`, from the request that caused the mail. */
  readonly externalUrl: string;
  readonly redirectTo: string;
  /** The client's PKCE challenge: the link then leads to `redirect_to?code=…` instead of a session. */
  readonly pkce?: PkceChallenge | null;
}

/**
 * For each kind of message: the user column holding its token hash, the sent-at column, the
 * `auth.one_time_tokens` type, the `type` of its link, and the authentication method its PKCE
 * flow records (GoTrue's names).
 */
const COLUMNS = {
  signup: {
    token: "confirmation_token",
    sentAt: "confirmation_sent_at",
    type: "confirmation_token",
    link: "signup",
    method: "email/signup",
  },
  invite: {
    token: "confirmation_token",
    sentAt: "confirmation_sent_at",
    type: "confirmation_token",
    link: "invite",
    method: "invite",
  },
  recovery: {
    token: "recovery_token",
    sentAt: "recovery_sent_at",
    type: "recovery_token",
    link: "recovery",
    method: "recovery",
  },
  magiclink: {
    token: "recovery_token",
    sentAt: "recovery_sent_at",
    type: "recovery_token",
    link: "magiclink",
    method: "magiclink",
  },
  email_change_new: {
    token: "email_change_token_new",
    sentAt: "email_change_sent_at",
    type: "email_change_token_new",
    link: "email_change",
    method: "email_change",
  },
  email_change_current: {
    token: "email_change_token_current",
    sentAt: "email_change_sent_at",
    type: "email_change_token_current",
    link: "email_change",
    method: "email_change",
  },
} as const;

/** The kinds of message {@link sendTokenMail} sends. */
export type TokenMailKind = keyof typeof COLUMNS;

/**
 * Refuses a new message while the last one of the same kind is younger than
 * `[auth.email] max_frequency`, then takes one from the process-wide `email_sent` budget.
 * Both answer 429 `over_email_send_rate_limit`, with GoTrue's messages. `tx` is the caller's
 * open transaction.
 */
export async function assertCanSend(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  lastSentAt: Date | null,
): Promise<void> {
  const waitMs = lastSentAt
    ? lastSentAt.getTime() + runtime.config.auth.email.maxFrequency * 1000 - Date.now()
    : 0;
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw rateLimitError(
      "over_email_send_rate_limit",
      seconds,
      `For security purposes, you can only request this after ${seconds} seconds.`,
    );
  }
  // On the transaction's own connection: every caller holds one, and a second from the pool
  // could wait forever once concurrent requests hold them all.
  const wait = await runtime.limits.emailSent.take("email", tx);
  if (wait !== null) throw rateLimitError("over_email_send_rate_limit", wait);
}

/**
 * Issues a one-time code for `kind`, stores its hash on the user and in `auth.one_time_tokens`,
 * and hands the message to the mailer inside the same transaction. For a PKCE client the stored
 * hash (and the link's token) carries the `pkce_` prefix and a flow state waits for the code
 * exchange, as in GoTrue. With `[auth.hook.send_email]` on, the hook gets the message instead of
 * the mailer. Returns the link and code (`admin.generateLink` shows them).
 */
export async function sendTokenMail(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  kind: TokenMailKind,
  address: string,
  target: LinkTarget,
  options: {
    /** False: return the link and code without sending (`admin.generateLink`). */
    readonly deliver?: boolean;
    /** False: the message belongs to a flow another message of the same change started. */
    readonly newFlow?: boolean;
  } = {},
): Promise<{ readonly actionLink: string; readonly otp: string; readonly hashedToken: string }> {
  const columns = COLUMNS[kind];
  const otp = newOtp(runtime.config.auth.email.otpLength);
  const hash = `${target.pkce ? PKCE_PREFIX : ""}${tokenHash(address, otp)}`;
  await tx.query(
    `with stamped as (
       update auth.users set ${quoteIdent(columns.token)} = $2, ${quoteIdent(columns.sentAt)} = now(), updated_at = now()
       where id = $1)
     insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
     values (gen_random_uuid(), $1, $3, $2, $4, now(), now())
     on conflict (user_id, token_type) do update
       set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`,
    [user.id, hash, columns.type, address],
  );
  if (target.pkce && options.newFlow !== false) {
    await insertFlowState(tx, {
      userId: user.id,
      providerType: "email",
      method: columns.method,
      challengeMethod: target.pkce.method,
      challenge: target.pkce.challenge,
    });
  }
  const link =
    `${target.externalUrl}/verify?token=${encodeURIComponent(hash)}&type=${columns.link}` +
    `&redirect_to=${encodeURIComponent(target.redirectTo)}`;
  if (options.deliver !== false && runtime.hooks.send_email) {
    await sendEmailThroughHook(runtime, tx, user, {
      email_action_type: columns.link,
      token: otp,
      token_hash: hash,
      redirect_to: target.redirectTo,
      site_url: target.externalUrl,
    });
  } else if (options.deliver !== false) {
    const content = renderMail(
      columns.link,
      {
        confirmationUrl: link,
        token: otp,
        tokenHash: hash,
        siteUrl: runtime.config.auth.siteUrl,
        redirectTo: target.redirectTo,
        email: user.email ?? "",
        newEmail: user.email_change ?? address,
      },
      templateFor(runtime.config.mail.templates, columns.link),
    );
    await runtime.mailer.send(
      { kind: columns.link, userId: user.id, to: address, ...content, actionLink: link, otp },
      tx,
    );
  }
  return { actionLink: link, otp, hashedToken: hash };
}

/**
 * The messages of an email change (`user.email_change` is the new address): a link and code to
 * the new address and, with `double_confirm_changes`, to the current one too. With
 * `[auth.hook.send_email]` on, both go to the hook in one `email_change` event, as GoTrue sends
 * them, with GoTrue's pairing of tokens and hashes: `token` is the code for the current address
 * but `token_hash` the hash for the new one, and `token_new` / `token_hash_new` the other way
 * round (GoTrue keeps this mismatch for compatibility and documents it as a bug). Without the
 * second message, `token` and `token_hash` are both the new address's.
 */
export async function sendEmailChangeMail(
  runtime: AuthRuntime,
  tx: pg.ClientBase,
  user: AuthUser,
  target: LinkTarget,
): Promise<void> {
  const current = user.email ?? "";
  const toCurrent = runtime.config.auth.email.doubleConfirmChanges && current !== "";
  const deliver = runtime.hooks.send_email === null;
  const toNew = await sendTokenMail(runtime, tx, user, "email_change_new", user.email_change ?? "", target, {
    deliver,
  });
  const toOld = toCurrent
    ? await sendTokenMail(runtime, tx, user, "email_change_current", current, target, {
        newFlow: false,
        deliver,
      })
    : null;
  if (deliver) return;
  await sendEmailThroughHook(runtime, tx, user, {
    email_action_type: "email_change",
    token: toOld ? toOld.otp : toNew.otp,
    token_hash: toNew.hashedToken,
    redirect_to: target.redirectTo,
    site_url: target.externalUrl,
    token_new: toOld ? toNew.otp : "",
    token_hash_new: toOld ? toOld.hashedToken : "",
  });
}
