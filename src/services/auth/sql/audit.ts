import { NIL_UUID, type Queryable } from "./queryable.js";

/** GoTrue's audit actions and the log type each belongs to. */
const LOG_TYPES = {
  login: "account",
  logout: "account",
  user_signedup: "team",
  user_deleted: "team",
  token_refreshed: "token",
  token_revoked: "token",
  user_modified: "user",
  user_recovery_requested: "user",
  user_confirmation_requested: "user",
  user_repeated_signup: "user",
  user_updated_password: "user",
  user_reauthenticate_requested: "user",
  user_invited: "team",
  factor_in_progress: "factor",
  factor_unenrolled: "factor",
  challenge_created: "factor",
  verification_attempted: "factor",
  factor_deleted: "factor",
} as const;

export type AuditAction = keyof typeof LOG_TYPES;

/** Who did it: a user (id + email) or an admin token (its role as the name, as GoTrue logs it). */
export interface AuditActor {
  readonly id: string;
  readonly name: string | null;
}

/**
 * The JSON GoTrue writes into `auth.audit_log_entries.payload`. Never holds a secret: no token,
 * no password, no code.
 */
export function auditPayload(
  action: AuditAction,
  actor: AuditActor,
  traits?: Readonly<Record<string, unknown>>,
): string {
  return JSON.stringify({
    action,
    actor_id: actor.id,
    actor_username: actor.name ?? "",
    actor_via_sso: false,
    log_type: LOG_TYPES[action],
    ...(traits ? { traits } : {}),
  });
}

/**
 * SQL for a CTE member that writes one audit row from parameters `$payload` and `$ip` (only when
 * `condition` holds), so hot paths (sign-in, refresh) record it in the same statement as their
 * own writes.
 */
export function auditInsertSql(payloadParam: string, ipParam: string, condition = "true"): string {
  return `insert into auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
          select '${NIL_UUID}', gen_random_uuid(), ${payloadParam}::json, now(), coalesce(${ipParam}::text, '')
          where ${condition}`;
}

/** Writes one audit row on its own. */
export async function insertAudit(sql: Queryable, payload: string, ip: string | null): Promise<void> {
  await sql.query(auditInsertSql("$1", "$2"), [payload, ip]);
}
