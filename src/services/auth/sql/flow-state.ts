import type { AuthenticationMethod } from "../types.js";
import type { Queryable } from "./queryable.js";

/** A PKCE flow waiting for its code to be exchanged (`auth.flow_state`). */
export interface FlowStateRow {
  readonly id: string;
  readonly user_id: string | null;
  readonly code_challenge_method: "s256" | "plain";
  readonly code_challenge: string;
  readonly provider_type: string;
  readonly authentication_method: AuthenticationMethod;
  readonly created_at: Date;
  readonly auth_code_issued_at: Date | null;
  readonly provider_access_token: string | null;
  readonly provider_refresh_token: string | null;
}

/** GoTrue's `generateFlowState`: a new flow with its auth code (a UUID), issued later by `/verify`. */
export async function insertFlowState(
  sql: Queryable,
  flow: {
    readonly userId: string | null;
    readonly providerType: string;
    readonly method: AuthenticationMethod;
    readonly challengeMethod: "s256" | "plain";
    readonly challenge: string;
  },
): Promise<string> {
  await deleteAbandonedFlowStates(sql);
  const { rows } = await sql.query<{ id: string }>(
    `insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, provider_type,
                                  authentication_method, created_at, updated_at)
     values (gen_random_uuid(), $1, gen_random_uuid()::text, $2::auth.code_challenge_method, $3, $4, $5, now(), now())
     returning id`,
    [flow.userId, flow.challengeMethod, flow.challenge, flow.providerType, flow.method],
  );
  return (rows[0] as { id: string }).id;
}

/** Hours after which a flow nobody finished is deleted (GoTrue's cleanup uses 24). */
const ABANDONED_AFTER_HOURS = 24;

/**
 * GoTrue's cleanup statement for `flow_state`, run on every write of a new flow: up to 100 flows
 * older than a day go, skipping rows another transaction holds, so no write waits on it.
 * Returns how many were deleted.
 */
export async function deleteAbandonedFlowStates(sql: Queryable): Promise<number> {
  const { rowCount } = await sql.query(
    `delete from auth.flow_state where id in (
       select id from auth.flow_state where created_at < now() - make_interval(hours => $1)
       limit 100 for update skip locked)`,
    [ABANDONED_AFTER_HOURS],
  );
  return rowCount ?? 0;
}

/**
 * The OAuth callback of a PKCE sign-in: the flow /authorize stored gets its user, the provider's
 * tokens and its code's issue time, once (a flow that already has a user is not found again).
 * Returns the code for `exchangeCodeForSession`, or null.
 */
export async function completeOAuthFlowState(
  sql: Queryable,
  flow: {
    readonly id: string;
    readonly userId: string;
    readonly providerAccessToken: string;
    readonly providerRefreshToken: string | null;
  },
): Promise<string | null> {
  const { rows } = await sql.query<{ auth_code: string }>(
    `update auth.flow_state set user_id = $2, provider_access_token = $3, provider_refresh_token = $4,
                               auth_code_issued_at = now(), updated_at = now()
     where id = $1 and user_id is null and authentication_method = 'oauth'
     returning auth_code`,
    [flow.id, flow.userId, flow.providerAccessToken, flow.providerRefreshToken],
  );
  return rows[0]?.auth_code ?? null;
}

/** Whether the OAuth flow /authorize stored is still waiting for its callback (row-locked). */
export async function lockOpenOAuthFlowState(sql: Queryable, id: string): Promise<boolean> {
  const { rows } = await sql.query(
    `select 1 from auth.flow_state where id = $1 and user_id is null and authentication_method = 'oauth'
     for update`,
    [id],
  );
  return rows.length > 0;
}

/**
 * GoTrue's `issueAuthCode`: the user's newest flow for `method` gets its issue time stamped and
 * its code returned; null when there is none.
 */
export async function issueAuthCode(
  sql: Queryable,
  userId: string,
  method: AuthenticationMethod,
): Promise<string | null> {
  const { rows } = await sql.query<{ auth_code: string }>(
    `update auth.flow_state set auth_code_issued_at = now(), updated_at = now()
     where id = (select id from auth.flow_state where user_id = $1 and authentication_method = $2
                 order by created_at desc limit 1)
     returning auth_code`,
    [userId, method],
  );
  return rows[0]?.auth_code ?? null;
}

/** The flow holding `authCode`, row-locked so two exchanges of one code cannot both succeed. */
export async function lockFlowStateByAuthCode(
  sql: Queryable,
  authCode: string,
): Promise<FlowStateRow | null> {
  const { rows } = await sql.query<FlowStateRow>(
    `select id, user_id, code_challenge_method::text as code_challenge_method, code_challenge, provider_type,
            authentication_method, created_at, auth_code_issued_at, provider_access_token, provider_refresh_token
     from auth.flow_state where auth_code = $1 limit 1 for update`,
    [authCode],
  );
  return rows[0] ?? null;
}

export async function deleteFlowState(sql: Queryable, id: string): Promise<void> {
  await sql.query("delete from auth.flow_state where id = $1", [id]);
}
